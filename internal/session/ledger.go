package session

import (
	"fmt"
	"strings"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/usage"
)

// LedgerAttention says, in one line, what is wrong with the usage ledger
// ("" when it is healthy): a month file that does not open leaves that
// month's usage out of every figure until "vaultchat usage --repair".
// Chatting goes on meanwhile; what cannot be recorded is kept in the
// ledger's journal.
func (s *Session) LedgerAttention() string {
	h, err := s.open()
	if err != nil {
		return ""
	}
	return ledgerAttention(h.usageLedger().Problems())
}

func ledgerAttention(problems []usage.Problem) string {
	if len(problems) == 0 {
		return ""
	}
	files := make([]string, len(problems))
	for i, p := range problems {
		files[i] = p.File
	}
	return fmt.Sprintf("usage ledger needs attention: %s cannot be opened; run vaultchat usage --repair", strings.Join(files, ", "))
}

// ledgerNote is LedgerAttention short enough for the side pane.
func ledgerNote(problems []usage.Problem) string {
	if len(problems) == 0 {
		return ""
	}
	return "ledger damaged: usage --repair"
}

// LedgerProblems lists the ledger's problems, one line each (the file and
// the cause), for "vaultchat usage".
func (s *Session) LedgerProblems() []string {
	h, err := s.open()
	if err != nil {
		return nil
	}
	var out []string
	for _, p := range h.usageLedger().Problems() {
		out = append(out, p.File+": "+h.redactor().String(p.Err.Error()))
	}
	return out
}

// RepairReport says what RepairUsage did.
type RepairReport struct {
	// Months are the months rebuilt ("2026-11"); SetAside the damaged
	// files, renamed and kept (relative to the vault home).
	Months   []string
	SetAside []string
	// FromConversations and FromJournal count the requests the rebuilt
	// months took from stored turns and from the journal; Journal the
	// journal entries recorded into healthy months.
	FromConversations int
	FromJournal       int
	Journal           int
	// Unreadable counts the conversations that did not open and so gave
	// nothing.
	Unreadable int
}

// RepairUsage rebuilds the months of the usage ledger whose file does not
// open, from the turns stored in conversations (each carries its key,
// model, usage and time) and the ledger's journal; see usage.Ledger.Repair.
// Imported conversations are left out: what they spent was spent
// elsewhere, or is already counted.
func (s *Session) RepairUsage() (RepairReport, error) {
	h, err := s.open()
	if err != nil {
		return RepairReport{}, err
	}
	sums, err := h.store.List()
	if err != nil {
		return RepairReport{}, err
	}
	var rep RepairReport
	var turns []usage.Entry
	for _, sum := range sums {
		c, err := h.store.Load(sum.ID)
		if err != nil {
			rep.Unreadable++
			continue
		}
		turns = append(turns, storedRequests(c)...)
	}
	res, err := h.usageLedger().Repair(turns)
	rep.Months, rep.SetAside = res.Months, res.SetAside
	rep.FromConversations, rep.FromJournal, rep.Journal = res.FromConversations, res.FromJournal, res.Journal
	return rep, err
}

// storedRequests are the requests a conversation's replies record, as
// ledger entries under their message IDs.
func storedRequests(c *chat.Conversation) []usage.Entry {
	if c.Source != "" {
		return nil
	}
	var out []usage.Entry
	for _, m := range c.Messages {
		t := m.Turn
		if m.Role != chat.RoleAssistant || t == nil || t.KeyID == "" {
			continue
		}
		out = append(out, usage.Entry{ID: m.ID, KeyID: t.KeyID, Model: t.Model, Time: m.Time, Usage: t.Usage, CostUSD: t.CostUSD, Failed: usage.TurnFailed(t)})
	}
	return out
}
