package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAttachForkAndSearchInTheBinary attaches a text file and an image
// with the real binary, forks the conversation, and finds it again: the
// image reaches the simulator as a data URL, the fork records its parent
// and the list shows it, and search finds a word of the reply.
func TestAttachForkAndSearchInTheBinary(t *testing.T) {
	f := newFixture(t)
	f.identityVault()
	s, url := f.startSim(0)
	f.addKey("work", url, "sim-fast")
	notes := filepath.Join(f.dir, "notes.txt")
	os.WriteFile(notes, []byte("the flock holds\n"), 0o600)
	pic := filepath.Join(f.dir, "pic")
	os.WriteFile(pic, append([]byte("GIF89a\x01\x00\x01\x00"), make([]byte, 20)...), 0o600)

	var ask struct {
		ConversationID string `json:"conversation_id"`
	}
	out := f.vaultchat("", "ask", "--json", "-f", notes, "-f", pic, "describe these")
	if err := json.Unmarshal([]byte(out), &ask); err != nil || ask.ConversationID == "" {
		t.Fatalf("ask --json: %v\n%s", err, out)
	}
	reqs := s.Requests()
	body := string(reqs[len(reqs)-1].Body)
	if !strings.Contains(body, `"type":"image_url"`) || !strings.Contains(body, `"url":"data:image/gif;base64,R0lGODlh`) || !strings.Contains(body, `File notes.txt:\n`+"```"+`\nthe flock holds`) {
		t.Errorf("request body lacks the inline file or the image:\n%.600s", body)
	}

	var fork struct {
		ID string `json:"id"`
	}
	out = f.vaultchat("", "conversations", "fork", ask.ConversationID, "--at", "1", "--json")
	if err := json.Unmarshal([]byte(out), &fork); err != nil || fork.ID == "" {
		t.Fatalf("fork --json: %v\n%s", err, out)
	}
	if list := f.vaultchat("", "conversations", "list"); !strings.Contains(list, "(fork of "+ask.ConversationID+" at #1)") {
		t.Errorf("the list does not show the fork:\n%s", list)
	}
	export := f.vaultchat("", "export", fork.ID, "--format", "json")
	if !strings.Contains(export, `"parent": {`) || !strings.Contains(export, `"name":"pic","media_type":"image/gif"`) {
		t.Errorf("the fork's export lacks its parent or the attachment:\n%s", export)
	}
	found := f.vaultchat("", "conversations", "search", "SIMULATED")
	if !strings.Contains(found, ask.ConversationID) || strings.Contains(found, fork.ID) {
		t.Errorf("search for a word of the reply (which the fork at #1 does not have):\n%s", found)
	}
}
