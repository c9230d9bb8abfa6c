//go:build unix

package session

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/testkit"
	"github.com/vaultchat/vaultchat/internal/view"
)

// searchBenchHome stores 1,000 conversations of 100 messages (100,000 in
// all), generated here, with one rare word in one reply, and returns a
// session over them.
func searchBenchHome(b *testing.B) (*fixtureB, string) {
	b.Helper()
	fb := newFixtureB(b)
	words := strings.Fields("the vault keeps keys encrypted with age and a passphrase while the agent holds the identity for commands that stream replies from the provider")
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var convs []*chat.Conversation
	for i := range 1000 {
		t := start.Add(time.Duration(i) * time.Hour)
		c := &chat.Conversation{ID: fmt.Sprintf("bench-%04d", i), Title: "conversation " + words[i%len(words)], Created: t, Updated: t}
		for j := range 100 {
			var sb strings.Builder
			for k := range 30 {
				sb.WriteString(words[(i+j+k*7)%len(words)])
				sb.WriteByte(' ')
			}
			role := chat.RoleUser
			if j%2 == 1 {
				role = chat.RoleAssistant
			}
			c.Messages = append(c.Messages, chat.Message{ID: fmt.Sprintf("m%d", j), Role: role, Content: sb.String(), Time: t})
		}
		convs = append(convs, c)
	}
	convs[500].Messages[51].Content += " zymurgy"
	if _, err := fb.sess.Import(context.Background(), convs, false); err != nil {
		b.Fatal(err)
	}
	return fb, "ZYMURGY"
}

func benchSearch(b *testing.B, sess *Session, q string) {
	hits, err := sess.Search(q, view.SearchOptions{})
	if err != nil || len(hits) != 1 || hits[0].ID != "bench-0500" {
		b.Fatalf("hits %v, %v", hitIDs(hits), err)
	}
}

// BenchmarkSearchCold is the first search of a new session over 1,000
// conversations / 100,000 messages, with the encrypted search index a
// previous search wrote: one file decrypted and sliced, a stat per
// conversation, then matching. Target: under 300 ms.
func BenchmarkSearchCold(b *testing.B) {
	fb, q := searchBenchHome(b)
	benchSearch(b, fb.sess, q) // writes the index
	benchCold(b, fb, q, func() {})
}

// BenchmarkSearchColdNoIndex is the same without the index (the first
// search ever, or the first after a deletion): every conversation is
// decrypted, decoded and folded, and the index is written.
func BenchmarkSearchColdNoIndex(b *testing.B) {
	fb, q := searchBenchHome(b)
	index := filepath.Join(fb.cfg.Home, "conversations", "search.index.age")
	benchCold(b, fb, q, func() { os.Remove(index) })
}

func benchCold(b *testing.B, fb *fixtureB, q string, prepare func()) {
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		prepare()
		sess := fb.reopen()
		before := processCPU()
		b.StartTimer()
		benchSearch(b, sess, q)
		b.StopTimer()
		cpu += processCPU() - before
		sess.Lock()
		b.StartTimer()
	}
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
}

// processCPU is the CPU time the process has used (user and system): on
// a shared machine it says what a search costs better than the wall
// clock.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSearchWarm is a later search in the same session: files are
// checked for changes (a stat each) and the text kept from the first
// search is matched. Target: under 300 ms.
func BenchmarkSearchWarm(b *testing.B) {
	fb, q := searchBenchHome(b)
	benchSearch(b, fb.sess, q)
	before := processCPU()
	for b.Loop() {
		benchSearch(b, fb.sess, q)
	}
	b.ReportMetric(float64((processCPU()-before).Milliseconds())/float64(b.N), "cpu-ms/op")
}

// fixtureB is a vault home and an unlocked session for benchmarks.
type fixtureB struct {
	b    *testing.B
	cfg  Config
	sess *Session
}

func newFixtureB(b *testing.B) *fixtureB {
	h := testkit.NewHome(b)
	fb := &fixtureB{b: b, cfg: Config{Home: h.Dir, Vault: h.Options()}}
	fb.sess = fb.reopen()
	b.Cleanup(fb.sess.Lock)
	return fb
}

// reopen unlocks a new session on the home: nothing kept in memory.
func (fb *fixtureB) reopen() *Session {
	s := New(fb.cfg)
	if err := s.Unlock(nil); err != nil {
		fb.b.Fatal(err)
	}
	return s
}
