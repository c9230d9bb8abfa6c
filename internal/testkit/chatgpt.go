package testkit

import (
	"encoding/json"
	"fmt"
)

// ChatGPTExport builds a ChatGPT conversations.json of n conversations,
// each a root, a hidden system node and six exchanges whose replies are
// reply, one of them regenerated (the old answer is on a side branch).
// Conversation i has the ID ChatGPTID(i), so imports, benchmarks and
// process tests can make inputs of any size at run time.
func ChatGPTExport(n int, reply string) []byte {
	type node struct {
		ID       string   `json:"id"`
		Message  any      `json:"message"`
		Parent   *string  `json:"parent"`
		Children []string `json:"children"`
	}
	msg := func(role, text string, t float64, model string) map[string]any {
		md := map[string]any{}
		if model != "" {
			md["model_slug"] = model
			md["finish_details"] = map[string]any{"type": "stop"}
		}
		if role == "system" {
			md["is_visually_hidden_from_conversation"] = true
		}
		return map[string]any{
			"id": "", "author": map[string]any{"role": role, "name": nil, "metadata": map[string]any{}},
			"create_time": t, "update_time": nil, "status": "finished_successfully", "weight": 1.0,
			"content":  map[string]any{"content_type": "text", "parts": []string{text}},
			"metadata": md, "recipient": "all",
		}
	}
	convs := make([]map[string]any, 0, n)
	for i := 0; i < n; i++ {
		mapping := map[string]*node{}
		add := func(id string, m any, parent string) {
			nd := &node{ID: id, Message: m, Children: []string{}}
			if parent != "" {
				p := parent
				nd.Parent = &p
				mapping[parent].Children = append(mapping[parent].Children, id)
			}
			mapping[id] = nd
		}
		t0 := 1.7e9 + float64(i)*3600.25
		add("root", nil, "")
		add("sys", msg("system", "", t0, ""), "root")
		prev := "sys"
		for j := 0; j < 6; j++ {
			u := fmt.Sprintf("u%d", j)
			add(u, msg("user", fmt.Sprintf("Question %d of conversation %d: how do I retry a request?", j, i), t0+float64(j*60), ""), prev)
			if j == 2 {
				add("old", msg("assistant", "An answer the user regenerated.", t0+float64(j*60)+5, "gpt-4"), u)
			}
			a := fmt.Sprintf("a%d", j)
			add(a, msg("assistant", reply, t0+float64(j*60)+10, "gpt-4o"), u)
			prev = a
		}
		convs = append(convs, map[string]any{
			"title": fmt.Sprintf("Conversation %d", i), "create_time": t0, "update_time": t0 + 400,
			"mapping": mapping, "current_node": prev, "id": ChatGPTID(i),
			"conversation_id": ChatGPTID(i), "default_model_slug": "gpt-4o",
			"moderation_results": []any{}, "safe_urls": []any{}, "is_archived": false,
		})
	}
	data, err := json.Marshal(convs)
	if err != nil {
		panic(err)
	}
	return data
}

// ChatGPTID is the ChatGPT conversation id of conversation i of
// ChatGPTExport.
func ChatGPTID(i int) string { return fmt.Sprintf("6700%08x-0000-4000-8000-000000000000", i) }
