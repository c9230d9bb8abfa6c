package providers

import (
	"strings"
	"testing"
)

// TestSentFieldsCheck: every field that travels in a header, query or
// path is checked, and the error names the field without quoting it.
func TestSentFieldsCheck(t *testing.T) {
	const bad = "x\nX-Evil: 1"
	tests := []struct {
		f    SentFields
		want string
	}{
		{SentFields{Organization: bad}, "organization contains a newline"},
		{SentFields{Project: bad}, "project contains a newline"},
		{SentFields{AzureAPIVersion: bad}, "Azure API version contains a newline"},
		{SentFields{AzureDeployments: map[string]string{"gpt-4o": "ok", "gpt-4.1": bad}}, "Azure deployment contains a newline"},
	}
	for _, tt := range tests {
		err := tt.f.Check()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v, want %q", tt.f, err, tt.want)
		} else if strings.Contains(err.Error(), "X-Evil") {
			t.Errorf("%+v: the error quotes the value: %v", tt.f, err)
		}
	}
	ok := SentFields{Organization: "org-1", Project: "proj_1", AzureAPIVersion: "2024-10-21", AzureDeployments: map[string]string{"gpt-4o": "prod-4o"}}
	if err := ok.Check(); err != nil {
		t.Error(err)
	}
}
