package models

import "testing"

func TestContextWindow(t *testing.T) {
	tests := []struct {
		model string
		want  int
		known bool
	}{
		{"gpt-4o", 128_000, true},
		{"gpt-4o-2024-08-06", 128_000, true},
		{"gpt-4o-mini", 128_000, true},
		{"gpt-4o-mini-2024-07-18", 128_000, true},
		{"GPT-4o", 128_000, true},
		{"gpt-4.1", 1_047_576, true},
		{"gpt-4.1-mini-2025-04-14", 1_047_576, true},
		{"gpt-4.1-nano", 1_047_576, true},
		{"o1", 200_000, true},
		{"o1-mini", 128_000, true},
		{"o3", 200_000, true},
		{"o3-mini-2025-01-31", 200_000, true},
		{"o4-mini", 200_000, true},
		{"gpt-5", 400_000, true},
		{"gpt-5-mini-2025-08-07", 400_000, true},
		{"gpt-5-chat-latest", 128_000, true},
		{"gpt-3.5-turbo", 16_385, true},
		{"gpt-3.5-turbo-0125", 16_385, true},
		{"gpt-35-turbo", 16_385, true},
		{"gpt-4", 8_192, true},
		{"gpt-4-0613", 8_192, true},
		{"gpt-4-turbo-2024-04-09", 128_000, true},
		{"gpt-4-32k", 32_768, true},
		{"sim-echo", 8_192, true},
		{"sim-429", 8_192, true},
		{"ft:gpt-4o-mini-2024-07-18:acme::abc123", 128_000, true},
		// A name that merely starts like a family is not that family.
		{"gpt-4x", 0, false},
		{"o10", 0, false},
		{"simple", 0, false},
		{"llama3.1:8b", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, known := ContextWindow(tt.model)
		if got != tt.want || known != tt.known {
			t.Errorf("ContextWindow(%q) = %d, %v; want %d, %v", tt.model, got, known, tt.want, tt.known)
		}
	}
}
