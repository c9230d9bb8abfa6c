package chat

import "testing"

func TestMessageNumbersSkipNotes(t *testing.T) {
	c := &Conversation{Messages: []Message{{Role: RoleUser}, {Role: RoleNote}, {Role: RoleAssistant}, {Role: RoleNote}, {Role: RoleUser}}}
	wantNumbers := []int{1, 0, 2, 0, 3}
	for i, want := range wantNumbers {
		if got := c.Number(i); got != want {
			t.Errorf("Number(%d) = %d, want %d", i, got, want)
		}
	}
	for n, want := range map[int]int{1: 0, 2: 2, 3: 4, 0: -1, 4: -1, -1: -1} {
		if got := c.IndexOf(n); got != want {
			t.Errorf("IndexOf(%d) = %d, want %d", n, got, want)
		}
	}
}
