package provider

import (
	"net/http"
	"os"
	"os/exec"
	"testing"
)

// proxyChildEnv marks the child process of TestProxyOnlyForHTTPS. net/http
// reads the proxy variables once per process, so the check runs in a fresh
// process whose environment names a proxy from the start.
const proxyChildEnv = "VAULTCHAT_PROVIDER_PROXY_CHILD"

// TestProxyOnlyForHTTPS checks that a key for an http:// base URL is never
// handed to an HTTP proxy from the environment (in a chat turn, a model
// list or keys check: they all use this transport): the proxy would read the
// Authorization header in clear text, and it is another host than the one
// the key is pinned to. An https request goes through the proxy as a
// CONNECT tunnel, which the proxy cannot read, so it may use one.
func TestProxyOnlyForHTTPS(t *testing.T) {
	const proxy = "http://127.0.0.1:9"
	if os.Getenv(proxyChildEnv) != "" {
		tr, ok := defaultTransport().(*http.Transport)
		if !ok {
			t.Fatalf("transport is %T, want *http.Transport", defaultTransport())
		}
		tests := []struct {
			target string
			want   string // "" means no proxy
		}{
			{"http://llm.internal.example/v1/models", ""},
			{"https://api.example.com/v1/models", proxy},
		}
		for _, tt := range tests {
			req, err := http.NewRequest(http.MethodGet, tt.target, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := tr.Proxy(req)
			if err != nil {
				t.Fatalf("%s: proxy: %v", tt.target, err)
			}
			if (got == nil) != (tt.want == "") || got != nil && got.String() != tt.want {
				t.Errorf("%s: proxy = %v, want %q", tt.target, got, tt.want)
			}
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestProxyOnlyForHTTPS$", "-test.v")
	cmd.Env = append(os.Environ(), proxyChildEnv+"=1",
		"HTTP_PROXY="+proxy, "http_proxy="+proxy, "HTTPS_PROXY="+proxy, "https_proxy="+proxy,
		"NO_PROXY=", "no_proxy=", "REQUEST_METHOD=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child process failed: %v\n%s", err, out)
	}
}
