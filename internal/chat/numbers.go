package chat

// Message numbers are how people name a message on the command line
// ("conversations show", "conversations fork --at N", search results):
// the first message is 1 and notes are not counted, so the numbers match
// the message count the conversation lists show.

// Number returns the number of message i of c, or 0 for a note.
func (c *Conversation) Number(i int) int {
	if c.Messages[i].Role == RoleNote {
		return 0
	}
	n := 0
	for j := 0; j <= i; j++ {
		if c.Messages[j].Role != RoleNote {
			n++
		}
	}
	return n
}

// IndexOf returns the index in c.Messages of the message numbered n, or
// -1 when there is none.
func (c *Conversation) IndexOf(n int) int {
	if n < 1 {
		return -1
	}
	for i := range c.Messages {
		if c.Messages[i].Role != RoleNote {
			n--
			if n == 0 {
				return i
			}
		}
	}
	return -1
}
