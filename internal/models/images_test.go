package models

import "testing"

func TestAcceptsImages(t *testing.T) {
	for model, want := range map[string][2]bool{
		"gpt-4o-mini-2024-07-18": {true, true},
		"gpt-4-turbo-2024-04-09": {true, true},
		"gpt-4-0613":             {false, true},
		"o3-mini":                {false, true},
		"GPT-3.5-TURBO":          {false, true},
		"ft:gpt-4o:org::x":       {true, true},
		"llama3":                 {false, false},
		"sim-fast":               {false, false},
	} {
		if a, k := AcceptsImages(model); a != want[0] || k != want[1] {
			t.Errorf("AcceptsImages(%q) = %t, %t; want %t, %t", model, a, k, want[0], want[1])
		}
	}
}
