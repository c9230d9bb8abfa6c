package sim_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/vaultchat/vaultchat/internal/sim"
)

func Example() {
	s := sim.New(sim.Options{})
	base, err := s.Start("127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	body := `{"model":"sim-fast","messages":[{"role":"user","content":"Hello"}]}`
	resp, err := http.Post(base+"/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var out struct {
		Choices []struct {
			Message struct{ Content string }
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		fmt.Println(err)
		return
	}
	heading, _, _ := strings.Cut(out.Choices[0].Message.Content, "\n")
	fmt.Println(resp.StatusCode, heading)
	fmt.Println(s.Requests()[0])
	// Output:
	// 200 ## Simulated reply to turn 1
	// POST /v1/chat/completions model="sim-fast" messages=1 stream=false include_usage=false auth=false fault="" status=200 outcome="ok" chunks=0
}
