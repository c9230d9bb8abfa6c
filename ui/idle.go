package ui

import (
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"
)

// Timers: the idle lock and the once-a-second countdowns of a retry wait
// or a rate limit. Each timer message carries the sequence number it was
// armed with; a newer arm (or a lock) makes older ones stale.

// startCountdown starts the one-second tick that redraws countdowns, unless
// it already runs.
func (m *Model) startCountdown() tea.Cmd {
	if m.counting {
		return nil
	}
	m.counting = true
	m.countSeq++
	return m.countdownTick(m.countSeq)
}

// tickCountdown redraws the items that count down and re-arms while one
// still does.
func (m *Model) tickCountdown(seq int) tea.Cmd {
	if seq != m.countSeq || m.screen != screenMain {
		return nil
	}
	now := m.now()
	active := false
	// Only the last few items can count down (the running or last turn).
	for i := len(m.chat.items) - 1; i >= 0 && i >= len(m.chat.items)-3; i-- {
		it := m.chat.items[i]
		if !it.retryIn.IsZero() || !it.limitTill.IsZero() {
			it.tick()
			if it.counting(now) {
				active = true
			}
		}
	}
	if !active {
		m.counting = false
		return nil
	}
	return m.countdownTick(seq)
}

// checkIdle locks once the user has been idle for the idle-lock time, and
// otherwise re-arms for the time left.
func (m *Model) checkIdle(seq int) tea.Cmd {
	if seq != m.idleSeq || m.screen != screenMain || m.opts.IdleLock <= 0 {
		return nil
	}
	if m.turn.streaming {
		// Never lock while a reply streams: the lock would cut it.
		// Look again a full period later; by then the reply's events
		// have moved lastActive.
		return m.idleTick(seq, m.opts.IdleLock)
	}
	idle := m.now().Sub(m.lastActive)
	if idle >= m.opts.IdleLock {
		return m.lock(fmt.Sprintf("locked after %s without input", formatWait(m.opts.IdleLock)))
	}
	return m.idleTick(seq, m.opts.IdleLock-idle)
}

func (m *Model) idleTick(seq int, d time.Duration) tea.Cmd {
	return m.tick(d, func(time.Time) tea.Msg { return idleMsg{seq: seq} })
}

func (m *Model) countdownTick(seq int) tea.Cmd {
	return m.tick(time.Second, func(time.Time) tea.Msg { return countdownMsg{seq: seq} })
}
