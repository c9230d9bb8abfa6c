package providers

import (
	"maps"
	"slices"
)

// SentFields are the fields of a key that leave the machine inside a
// request's headers, query or path: the OpenAI organization and project
// headers, Azure's api-version query and its deployment path segments.
// They have one rule, Check, which both the vault (before storing) and
// the provider client (before sending) apply.
type SentFields struct {
	Organization    string
	Project         string
	AzureAPIVersion string
	// AzureDeployments maps a model name to its deployment name; only the
	// deployment names are sent.
	AzureDeployments map[string]string
}

// Check refuses a control character in any sent field: a newline in a
// header value would start a new header, and one in a path or query
// would change the request. The error names the field, never its value.
func (f SentFields) Check() error {
	for _, field := range []struct{ name, value string }{
		{"organization", f.Organization}, {"project", f.Project}, {"Azure API version", f.AzureAPIVersion},
	} {
		if err := CheckHeaderValue(field.name, field.value); err != nil {
			return err
		}
	}
	// Sorted so the same record always gives the same error.
	for _, model := range slices.Sorted(maps.Keys(f.AzureDeployments)) {
		if err := CheckHeaderValue("Azure deployment", f.AzureDeployments[model]); err != nil {
			return err
		}
	}
	return nil
}
