package ui

// chatList is the scrollable list of chat items. It renders only what is
// visible: scrolling keeps a (item, line) anchor instead of measuring the
// whole conversation, so a 10,000-message history costs nothing until it
// is scrolled into view.
type chatList struct {
	items []*chatItem
	// follow keeps the view at the bottom as content arrives. When it is
	// false, topIdx/topOff anchor the first visible line and newBelow
	// says content arrived below the view.
	follow   bool
	topIdx   int
	topOff   int
	newBelow bool
}

func newChatList() chatList { return chatList{follow: true} }

func (c *chatList) reset(items []*chatItem) {
	*c = chatList{items: items, follow: true}
}

func (c *chatList) add(it *chatItem) {
	c.items = append(c.items, it)
	c.changed()
}

// changed records that content was added or grew at the bottom.
func (c *chatList) changed() {
	if !c.follow {
		c.newBelow = true
	}
}

// truncateFrom removes the items from index i on.
func (c *chatList) truncateFrom(i int) {
	if i < 0 || i > len(c.items) {
		return
	}
	for j := i; j < len(c.items); j++ {
		c.items[j] = nil
	}
	c.items = c.items[:i]
	if c.topIdx >= len(c.items) {
		c.follow = true
		c.newBelow = false
	}
}

// cut removes the items from index i on and returns them.
func (c *chatList) cut(i int) []*chatItem {
	if i < 0 || i > len(c.items) {
		return nil
	}
	removed := append([]*chatItem(nil), c.items[i:]...)
	c.truncateFrom(i)
	return removed
}

// insertAt puts items back at index i.
func (c *chatList) insertAt(i int, items []*chatItem) {
	i = min(max(i, 0), len(c.items))
	c.items = append(c.items[:i], append(items, c.items[i:]...)...)
	c.changed()
}

func (c *chatList) last() *chatItem {
	if len(c.items) == 0 {
		return nil
	}
	return c.items[len(c.items)-1]
}

// bottomAnchor returns the anchor that shows the last h lines.
func (c *chatList) bottomAnchor(w, h int, env *renderEnv) (int, int) {
	need := h
	for i := len(c.items) - 1; i >= 0; i-- {
		n := len(c.items[i].lines(w, env))
		if n >= need {
			return i, n - need
		}
		need -= n
	}
	return 0, 0
}

// scrollUp moves the view n lines towards the start.
func (c *chatList) scrollUp(n, w, h int, env *renderEnv) {
	if len(c.items) == 0 {
		return
	}
	if c.follow {
		c.topIdx, c.topOff = c.bottomAnchor(w, h, env)
		c.follow = false
		c.newBelow = false
	}
	for n > 0 {
		if c.topOff > 0 {
			d := min(c.topOff, n)
			c.topOff -= d
			n -= d
			continue
		}
		if c.topIdx == 0 {
			break
		}
		c.topIdx--
		c.topOff = len(c.items[c.topIdx].lines(w, env))
	}
	if c.atBottom(w, h, env) {
		c.toBottom()
	}
}

// scrollDown moves the view n lines towards the end; reaching the bottom
// turns following back on.
func (c *chatList) scrollDown(n, w, h int, env *renderEnv) {
	if c.follow {
		return
	}
	for n > 0 && c.topIdx < len(c.items) {
		rem := len(c.items[c.topIdx].lines(w, env)) - c.topOff
		if n < rem {
			c.topOff += n
			n = 0
		} else {
			n -= rem
			c.topIdx++
			c.topOff = 0
		}
	}
	if c.topIdx >= len(c.items) || c.atBottom(w, h, env) {
		c.toBottom()
	}
}

func (c *chatList) toBottom() {
	c.follow = true
	c.newBelow = false
}

// atBottom reports whether the anchored view already shows the last line.
func (c *chatList) atBottom(w, h int, env *renderEnv) bool {
	n := -c.topOff
	for i := c.topIdx; i < len(c.items); i++ {
		n += len(c.items[i].lines(w, env))
		if n > h {
			return false
		}
	}
	return true
}

// view returns at most h lines, each exactly w columns, for a w-column
// viewport.
func (c *chatList) view(w, h int, env *renderEnv) []string {
	if h <= 0 {
		return nil
	}
	idx, off := c.topIdx, c.topOff
	if c.follow {
		idx, off = c.bottomAnchor(w, h, env)
	}
	if idx < len(c.items) {
		off = min(off, max(len(c.items[idx].lines(w, env))-1, 0))
	}
	out := make([]string, 0, h)
	for i := idx; i < len(c.items) && len(out) < h; i++ {
		it := c.items[i]
		n := len(it.lines(w, env))
		first := 0
		if i == idx {
			first = min(off, n)
		}
		for j := first; j < n && len(out) < h; j++ {
			out = append(out, it.fittedLine(j))
		}
	}
	return out
}

// reveal scrolls item i into a w×h viewport: the view moves only when
// the item's first line is not on screen, and then starts at it.
func (c *chatList) reveal(i, w, h int, env *renderEnv) {
	if i < 0 || i >= len(c.items) {
		return
	}
	idx, off := c.topIdx, c.topOff
	if c.follow {
		idx, off = c.bottomAnchor(w, h, env)
	}
	// Lines from the view's top to item i's first line.
	above := -off
	for j := idx; j < i && above < h; j++ {
		above += len(c.items[j].lines(w, env))
	}
	if i >= idx && (i > idx || off == 0) && above < h {
		return // on screen
	}
	c.follow, c.newBelow = false, false
	c.topIdx, c.topOff = i, 0
	if c.atBottom(w, h, env) {
		c.toBottom()
	}
}
