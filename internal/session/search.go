package session

import (
	"errors"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vaultchat/vaultchat/internal/attach"
	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/filelock"
	"github.com/vaultchat/vaultchat/internal/sanitize"
	"github.com/vaultchat/vaultchat/internal/store"
	"github.com/vaultchat/vaultchat/internal/textmatch"
	"github.com/vaultchat/vaultchat/internal/view"
)

// snippetWidth is how many characters of a message a snippet shows.
const snippetWidth = 80

// ErrEmptyQuery is returned by Search for a query without a word.
var ErrEmptyQuery = errors.New("the search has no word to look for")

// Search looks for every word of query (case-insensitive, Unicode case
// and compatibility folding: textmatch) in the titles and message texts
// of the saved conversations, newest first, and returns each match with
// snippets of its matching messages, sanitized and masked.
//
// Conversations are decrypted as needed, several at a time; what a search
// derives from each is kept in memory for the next search (until the
// session locks) and read again only when its file changes, so searching
// as the user types costs matching alone. A conversation that does not
// open is left out.
func (s *Session) Search(query string, opts view.SearchOptions) ([]view.SearchHit, error) {
	h, err := s.open()
	if err != nil {
		return nil, err
	}
	q := textmatch.Parse(query)
	if q.Empty() {
		return nil, ErrEmptyQuery
	}
	keyID := ""
	if opts.Key != "" {
		k, err := h.vault.Key(opts.Key)
		if err != nil {
			return nil, err
		}
		keyID = k.ID
	}
	list, err := h.store.List()
	if err != nil {
		return nil, err
	}
	// Every conversation is read (or taken from the cache), whatever
	// the filters, so that the cache and the index stay whole.
	ids := make([]string, 0, len(list))
	order := make(map[string]int, len(list))
	for _, sum := range list {
		order[sum.ID] = len(ids)
		ids = append(ids, sum.ID)
	}
	docs := h.searchDocs(ids)
	var (
		mu      sync.Mutex
		matches []docMatch
	)
	matchAll(docs, func(d *searchDoc) {
		if keyID != "" && !slices.Contains(d.keyIDs, keyID) {
			return
		}
		if !opts.Since.IsZero() && d.updated.Before(opts.Since) {
			return
		}
		if m, ok := match(d, q, opts); ok {
			mu.Lock()
			matches = append(matches, m)
			mu.Unlock()
		}
	})
	slices.SortFunc(matches, func(a, b docMatch) int { return order[a.doc.id] - order[b.doc.id] })
	if opts.Limit > 0 && len(matches) > opts.Limit {
		matches = matches[:opts.Limit]
	}
	// Snippets are cut (and cleaned) only for the hits returned.
	hits := make([]view.SearchHit, len(matches))
	for i, m := range matches {
		hits[i] = h.hit(m, q)
	}
	return hits, nil
}

// searchDoc is what a search keeps of one conversation: its text, folded
// for matching, and what the filters need.
type searchDoc struct {
	version   filelock.Version
	id        string
	title     string
	titleFold string
	updated   time.Time
	keyIDs    []string
	msgs      []searchMsg
}

type searchMsg struct {
	number int
	id     string
	role   chat.Role
	text   string
	fold   string
}

// searchCache holds the searchDocs of one unlocked home.
type searchCache struct {
	mu   sync.Mutex
	docs map[string]*searchDoc
}

func newSearchDoc(c *chat.Conversation, v filelock.Version) *searchDoc {
	d := &searchDoc{version: v, id: c.ID, title: c.Title, titleFold: textmatch.Fold(c.Title), updated: c.Updated}
	n := 0
	for _, m := range c.Messages {
		if m.Turn != nil && !slices.Contains(d.keyIDs, m.Turn.KeyID) {
			d.keyIDs = append(d.keyIDs, m.Turn.KeyID)
		}
		if m.Role == chat.RoleNote {
			continue
		}
		n++
		// Text attachments are searched with the message they came with.
		text := attach.MessageText(m)
		if text == "" {
			continue
		}
		d.msgs = append(d.msgs, searchMsg{number: n, id: m.ID, role: m.Role, text: text, fold: textmatch.Fold(text)})
	}
	return d
}

// searchDocs returns the docs of ids, from the memory cache or the
// search index while their files are unchanged, else decrypted (in
// parallel); it keeps them in memory and, when anything changed, writes
// the index again.
func (h *home) searchDocs(ids []string) []*searchDoc {
	c := &h.search
	c.mu.Lock()
	known := c.docs
	c.mu.Unlock()
	fromIndex := false
	if known == nil {
		// The first search of this unlock: start from the index.
		known, _ = decodeSearchIndex(h.store.ReadSearchIndex())
		fromIndex = true
	}
	keep := func(id string, v filelock.Version) bool {
		d, ok := known[id]
		return ok && d.version == v
	}
	docs := make([]*searchDoc, len(ids))
	index := make(map[string]int, len(ids))
	for i, id := range ids {
		index[id] = i
	}
	var read atomic.Int32
	h.store.Scan(ids, runtime.GOMAXPROCS(0), keep, func(sc store.Scanned) {
		switch {
		case sc.Skipped:
			docs[index[sc.ID]] = known[sc.ID]
		case sc.Err == nil:
			docs[index[sc.ID]] = newSearchDoc(sc.Conversation, sc.Version)
			read.Add(1)
		}
	})
	fresh := make(map[string]*searchDoc, len(ids))
	out := docs[:0]
	for _, d := range docs {
		if d != nil {
			fresh[d.id] = d
			out = append(out, d)
		}
	}
	// Only what this search saw stays: deleted conversations go.
	c.mu.Lock()
	c.docs = fresh
	c.mu.Unlock()
	if read.Load() > 0 || len(known) != len(fresh) || (fromIndex && len(known) == 0 && len(fresh) > 0) {
		// A cache: failing to write it costs the next search time only.
		_ = h.store.WriteSearchIndex(encodeSearchIndex(out))
	}
	return out
}

// matchAll runs fn on every doc, on as many goroutines as there are
// processors.
func matchAll(docs []*searchDoc, fn func(*searchDoc)) {
	workers := max(1, min(runtime.GOMAXPROCS(0), len(docs)))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(docs); i += workers {
				fn(docs[i])
			}
		})
	}
	wg.Wait()
}

// docMatch is a conversation that matched: whether its title did, how
// many messages did, and the first of them (for snippets).
type docMatch struct {
	doc        *searchDoc
	titleMatch bool
	count      int
	first      []int // indexes in doc.msgs
}

// match checks one conversation.
func match(d *searchDoc, q textmatch.Query, opts view.SearchOptions) (docMatch, bool) {
	m := docMatch{doc: d, titleMatch: q.MatchFolded(d.titleFold)}
	max := opts.Snippets
	if max <= 0 {
		max = 3
	}
	for i := range d.msgs {
		if !q.MatchFolded(d.msgs[i].fold) {
			continue
		}
		m.count++
		if len(m.first) < max {
			m.first = append(m.first, i)
		}
	}
	return m, m.titleMatch || m.count > 0
}

// hit is a match as Search returns it, its text cleaned for showing.
func (h *home) hit(m docMatch, q textmatch.Query) view.SearchHit {
	d := m.doc
	hit := view.SearchHit{ID: d.id, Title: h.clean(d.title), Updated: d.updated, TitleMatch: m.titleMatch, Matches: m.count}
	for _, i := range m.first {
		hit.Snippets = append(hit.Snippets, h.snippet(d.msgs[i], q))
	}
	return hit
}

// snippet cuts the snippet of a matching message from its text as it
// would be shown (sanitized, every secret and key-shaped string masked),
// so that a cut can never leave half a key readable.
func (h *home) snippet(m searchMsg, q textmatch.Query) view.SearchSnippet {
	text := h.clean(m.text)
	sn, ok := q.Snippet(text, snippetWidth)
	if !ok {
		// The match was masked: show the start of the message.
		sn, _ = textmatch.Parse(firstWord(text)).Snippet(text, snippetWidth)
		sn.Start, sn.End = 0, 0
	}
	return view.SearchSnippet{Number: m.number, MessageID: m.id, Role: m.role, Text: sn.Text, Start: sn.Start, End: sn.End}
}

// clean is how a search shows stored text: sanitized, then masked as
// displayed (the export rule).
func (h *home) clean(s string) string {
	return h.redactor().Displayed(sanitize.String(s))
}

func firstWord(s string) string {
	for _, f := range strings.Fields(s) {
		return f
	}
	return ""
}
