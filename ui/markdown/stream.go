package markdown

import (
	"bytes"
	"strings"

	"github.com/vaultchat/vaultchat/internal/mdfence"
	"github.com/vaultchat/vaultchat/internal/sanitize"
)

// Stream renders a growing Markdown document. Rendering a document in
// pieces split at safe block boundaries and joining the pieces with one
// blank line gives the same text as rendering it whole (the tests check
// this); whenever a boundary is doubtful the Stream simply does not split
// there, so the worst case is re-rendering a longer tail.
//
// A Stream is not safe for concurrent use.
type Stream struct {
	r     *Renderer
	width int
	src   []byte

	// Boundary scan state: scanned is the offset of the first line not
	// yet scanned (only complete lines are scanned, so the scan is
	// O(new text) per Append).
	scanned   int
	fences    mdfence.Scanner
	prevBlank bool
	noSplit   bool // an HTML block or link reference definition was seen
	afterDef  bool // a definition list item was seen since the last boundary
	restart   bool // a link reference definition arrived after a split

	stableEnd int      // src[:stableEnd] is rendered into stable
	stable    []string // rendered lines of the stable prefix
	taken     int      // stable lines already returned by TakeStable

	tailFor int // len(src) when tail was rendered; -1 when stale
	tail    []string
	all     []string // reused by Lines
}

// NewStream returns an empty Stream that renders at width columns.
func (r *Renderer) NewStream(width int) *Stream {
	return &Stream{r: r, width: max(width, 1), tailFor: -1}
}

// Text returns the source received so far (sanitized).
func (s *Stream) Text() string { return string(s.src) }

// Width returns the width the Stream renders at.
func (s *Stream) Width() int { return s.width }

// Append adds text to the document. Completed blocks are rendered here,
// once; the unfinished tail is rendered lazily by Lines or Finish.
func (s *Stream) Append(text string) {
	if text == "" {
		return
	}
	// Entities are neutralised by Render, on whole blocks, so one split
	// across two deltas is still caught.
	s.src = append(s.src, sanitize.String(text)...)
	s.tailFor = -1
	b := s.scan()
	if s.restart {
		// A link reference definition changes links in blocks already
		// rendered: render everything again as one piece from now on.
		// Lines already handed out by TakeStable cannot change.
		s.restart = false
		s.stableEnd, s.stable = 0, nil
		return
	}
	if b > s.stableEnd {
		s.addStable(b)
	}
}

// SetText replaces the document. When text extends the current source the
// call is an Append of the difference; otherwise (a retry, an edit) the
// Stream starts over.
func (s *Stream) SetText(text string) {
	text = sanitize.String(text)
	if strings.HasPrefix(text, string(s.src)) {
		s.Append(text[len(s.src):])
		return
	}
	*s = Stream{r: s.r, width: s.width, tailFor: -1}
	s.Append(text)
}

// SetWidth changes the width; the stable prefix is rendered again at the
// new width (as one piece) on the next call.
func (s *Stream) SetWidth(width int) {
	width = max(width, 1)
	if width == s.width {
		return
	}
	s.width = width
	s.tailFor = -1
	s.stable = nil
	s.taken = 0
	if s.stableEnd > 0 {
		s.stable = s.r.Render(string(s.src[:s.stableEnd]), s.width)
	}
}

// Lines returns the rendered document so far: the cached stable prefix
// and the freshly rendered tail. The returned slice is reused by the next
// call; copy it to keep it.
func (s *Stream) Lines() []string {
	s.renderTail()
	s.all = s.all[:0]
	s.all = append(s.all, s.stable...)
	if len(s.stable) > 0 && len(s.tail) > 0 {
		s.all = append(s.all, "")
	}
	s.all = append(s.all, s.tail...)
	return s.all
}

// StableLines returns the number of rendered lines that will not change
// any more (useful to callers that cache per line).
func (s *Stream) StableLines() int { return len(s.stable) }

// TakeStable returns the rendered lines that became stable since the last
// call, for append-only output: print them and never look back. A link
// reference definition that arrives after the block using it was taken
// cannot change that block any more.
func (s *Stream) TakeStable() []string {
	if s.taken >= len(s.stable) {
		return nil
	}
	out := s.stable[s.taken:]
	s.taken = len(s.stable)
	return out
}

// Finish renders the tail as final and returns every line not yet
// returned by TakeStable. The Stream can keep growing afterwards.
func (s *Stream) Finish() []string {
	all := s.Lines()
	out := append([]string(nil), all[min(s.taken, len(all)):]...)
	// Everything is handed out: the tail becomes part of the stable
	// output so a later TakeStable does not repeat it.
	if len(s.src) > s.stableEnd {
		s.stableEnd = len(s.src)
		if len(s.tail) > 0 {
			if len(s.stable) > 0 {
				s.stable = append(s.stable, "")
			}
			s.stable = append(s.stable, s.tail...)
		}
		s.tail = nil
		// Following text starts a new block after what was printed.
		s.scanned = len(s.src)
		s.prevBlank = true
		s.fences = mdfence.Scanner{}
		s.afterDef = false
	}
	s.taken = len(s.stable)
	return out
}

func (s *Stream) renderTail() {
	if s.tailFor == len(s.src) {
		return
	}
	s.tail = s.r.Render(string(s.src[s.stableEnd:]), s.width)
	s.tailFor = len(s.src)
}

func (s *Stream) addStable(end int) {
	lines := s.r.Render(string(s.src[s.stableEnd:end]), s.width)
	if len(lines) > 0 {
		if len(s.stable) > 0 {
			s.stable = append(s.stable, "")
		}
		s.stable = append(s.stable, lines...)
	}
	s.stableEnd = end
}

// scan walks the complete lines not yet scanned and returns the offset of
// the last safe boundary found (0 if none): the start of a line that opens
// a new top-level block right after a blank line, outside any fence.
func (s *Stream) scan() int {
	boundary := 0
	for {
		// bytes.IndexByte on the slice: converting the unscanned rest
		// to a string would copy it for every line, making one large
		// Append quadratic.
		nl := bytes.IndexByte(s.src[s.scanned:], '\n')
		if nl < 0 {
			return boundary
		}
		start := s.scanned
		line := string(s.src[start : start+nl])
		s.scanned = start + nl + 1

		kind := s.fences.Next(line)
		if kind == mdfence.Code || kind == mdfence.Closing {
			s.prevBlank = false
			continue
		}
		blank := strings.TrimSpace(line) == ""
		if !blank && s.prevBlank && !s.noSplit && safeStart(line) {
			if s.afterDef {
				// glamour pads the end of a definition list
				// differently when it ends the document.
				s.afterDef = false
			} else {
				boundary = start
			}
		}
		if strings.HasPrefix(line, ":") {
			s.afterDef = true
		}
		if isRefDef(line) && (s.stableEnd > 0 || boundary > 0) {
			s.restart = true
		}
		if isHTML(line) || isRefDef(line) {
			// HTML blocks may contain blank lines and link reference
			// definitions change links anywhere in the document: from
			// here on, never split.
			s.noSplit = true
		}
		s.prevBlank = blank
	}
}

// safeStart reports whether a line after a blank line surely starts a new
// top-level block that nothing before it continues: not indented (that
// would be list content or indented code), not a list item (a loose list
// continues), not a definition (": "), not HTML.
func safeStart(line string) bool {
	c := line[0]
	switch c {
	case ' ', '\t', ':', '<', '[':
		return false
	case '-', '*', '+':
		return len(line) > 1 && line[1] != ' ' && line[1] != '\t'
	}
	if c >= '0' && c <= '9' {
		i := 0
		for i < len(line) && i < 10 && line[i] >= '0' && line[i] <= '9' {
			i++
		}
		if i < len(line) && (line[i] == '.' || line[i] == ')') {
			return false
		}
	}
	return true
}

func isHTML(line string) bool {
	t := strings.TrimLeft(line, " ")
	return len(line)-len(t) <= 3 && strings.HasPrefix(t, "<")
}

func isRefDef(line string) bool {
	t := strings.TrimLeft(line, " ")
	return len(line)-len(t) <= 3 && strings.HasPrefix(t, "[") && strings.Index(t, "]:") > 0
}
