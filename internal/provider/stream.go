package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"syscall"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/redact"
	"github.com/vaultchat/vaultchat/internal/sanitize"
	"github.com/vaultchat/vaultchat/internal/tokens"
)

// Request is one chat turn: the model and the whole conversation to send,
// in order (system prompt first). Messages with chat.RoleNote are
// vaultchat's own annotations and are not sent.
type Request struct {
	Model    string
	Messages []chat.Message
	// Temperature is sent when set (a role's). go-openai leaves a zero
	// temperature out of the request, so 0 means the server's default.
	Temperature *float64
}

// Options tune one Stream call. The zero value gives the defaults; tests
// inject the clocks.
type Options struct {
	// Coalesce is how long reply text is gathered before it is sent as
	// one Delta (the first Delta goes out at once). Zero or less means
	// 30ms.
	Coalesce time.Duration
	// MaxRetries bounds the retries of a request that failed before any
	// reply text arrived. Zero means 3; negative means none.
	MaxRetries int
	// Sleep waits d or until ctx is done, returning ctx's error then.
	// The default uses a real timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now gives the time for turn durations. The default is time.Now.
	Now func() time.Time
	// Jitter spreads a backoff wait so that clients do not retry in step.
	// The default adds up to 20% at random.
	Jitter func(d time.Duration) time.Duration
	// ResponseTimeout bounds the wait for the response to begin (its
	// headers) once the request is sent. Zero means
	// DefaultResponseTimeout; negative means no limit.
	ResponseTimeout time.Duration
	// StreamIdleTimeout bounds the wait for more of a response that has
	// begun: a stream that sends nothing for this long is given up. Zero
	// means DefaultStreamIdleTimeout; negative means no limit.
	StreamIdleTimeout time.Duration
}

// Default timeouts (config.toml: response_timeout, stream_idle_timeout).
// A cancel (esc, Ctrl+C) ends a turn at once whatever they are.
const (
	DefaultResponseTimeout   = 60 * time.Second
	DefaultStreamIdleTimeout = 120 * time.Second
)

const (
	defaultCoalesce   = 30 * time.Millisecond
	defaultMaxRetries = 3
	firstBackoff      = 500 * time.Millisecond
	maxBackoff        = 30 * time.Second
	// maxRetryWait is the longest Retry-After honoured by waiting; a
	// server asking for more is not retried, and the user is told when to
	// come back (or to switch keys) instead of watching a long countdown.
	maxRetryWait = time.Minute
)

func (o Options) withDefaults() Options {
	if o.Coalesce <= 0 {
		o.Coalesce = defaultCoalesce
	}
	switch {
	case o.MaxRetries == 0:
		o.MaxRetries = defaultMaxRetries
	case o.MaxRetries < 0:
		o.MaxRetries = 0
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Jitter == nil {
		o.Jitter = jitter
	}
	o.ResponseTimeout = orDefault(o.ResponseTimeout, DefaultResponseTimeout)
	o.StreamIdleTimeout = orDefault(o.StreamIdleTimeout, DefaultStreamIdleTimeout)
	return o
}

// orDefault returns d, def when d is zero, and zero (no limit) when d is
// negative.
func orDefault(d, def time.Duration) time.Duration {
	switch {
	case d == 0:
		return def
	case d < 0:
		return 0
	}
	return d
}

func (o Options) timeouts() timeouts {
	return timeouts{response: o.ResponseTimeout, idle: o.StreamIdleTimeout}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func jitter(d time.Duration) time.Duration {
	return d + rand.N(d/5+1)
}

// Stream sends req and returns the turn's events: Delta and Retrying
// events, then exactly one chat.Done or chat.Failed, after which the
// channel is closed.
//
// The consumer reads until the channel is closed, also after canceling
// ctx. A consumer that stops reading early leaks nothing: the channel has
// room for every event that can still be pending, so the turn's goroutine
// never blocks on it and always delivers the final event.
//
// Canceling ctx aborts the HTTP request at once; the turn ends with
// Failed{Err: class canceled}. Text received before the cancel is still
// delivered, in a last Delta before the Failed.
//
// Delta text has passed the redactor and the terminal sanitizer. Done and
// Failed carry the usage the provider reported, or an estimate (marked
// Estimated) when it reported none, including for canceled and failed
// turns the server had accepted. A request the server refused outright
// (an HTTP error status) reports no usage: it was not billed.
func (c *Client) Stream(ctx context.Context, req Request, opts Options) <-chan chat.Event {
	opts = opts.withDefaults()
	// Capacity: Retrying events are only sent before any text (at most
	// MaxRetries of them); a Delta is only sent while the channel is
	// empty, so at most one of them waits; then come the last Delta, a
	// Warning about the usage figures and the final event. All sends
	// therefore succeed without blocking.
	out := make(chan chat.Event, max(opts.MaxRetries, 1)+3)
	t := &turn{
		c:    c,
		req:  req,
		msgs: toMessages(req.Messages),
		opts: opts,
		out:  out,
		red:  c.red.Stream(),
	}
	go func() {
		out <- t.run(ctx)
		close(out)
		if c.turnExited != nil {
			c.turnExited()
		}
	}()
	return out
}

// turn is the state of one Stream call, owned by its goroutine.
type turn struct {
	c    *Client
	req  Request
	msgs []openai.ChatCompletionMessage
	opts Options
	out  chan chat.Event

	// Reply text passes red, then san (as in Client.clean); pending
	// holds filtered text not yet delivered.
	red       *redact.Stream
	san       sanitize.Stream
	pending   strings.Builder
	delivered bool            // a Delta has been sent
	raw       strings.Builder // the reply as received, to estimate usage
}

// outcome is how one attempt ended.
type outcome struct {
	err    *chat.Error // nil on success
	usage  *wireUsage  // as the server reported it, nil if it did not
	finish string
	rl     chat.RateLimits
	// accepted says the server took the request (it answered 200, or it
	// was canceled in flight), so a failure may still have been billed.
	accepted bool
	// streamOptionsRejected says the server refused stream_options.
	streamOptionsRejected bool
	// refusedHere says the connection was refused on this machine:
	// nothing listens there, and a retry seconds later finds the same.
	refusedHere bool
}

// run makes attempts until one succeeds or no retry is allowed, and
// returns the final event.
func (t *turn) run(ctx context.Context) chat.Event {
	start := t.opts.Now()
	retries := 0
	for {
		o := t.attempt(ctx)
		if o.err == nil {
			return chat.Done{
				Usage:        t.usage(o),
				FinishReason: t.c.clean(o.finish),
				RateLimits:   o.rl,
				Duration:     t.opts.Now().Sub(start),
			}
		}
		if o.streamOptionsRejected {
			// Not a retry: the same request without the option. The
			// client remembers, so this happens once per key.
			t.c.noStreamOptions.Store(true)
			continue
		}
		if wait, ok := t.retryWait(o, retries); ok {
			retries++
			t.out <- chat.Retrying{Attempt: retries, Wait: wait, Err: o.err}
			if t.opts.Sleep(ctx, wait) == nil {
				continue
			}
			o = outcome{err: canceledError(), rl: o.rl}
		}
		return chat.Failed{
			Err:        o.err,
			Usage:      t.usage(o),
			RateLimits: o.rl,
			Duration:   t.opts.Now().Sub(start),
		}
	}
}

// retryWait reports whether the failed attempt o may be retried, having
// already retried retries times, and how long to wait first.
func (t *turn) retryWait(o outcome, retries int) (time.Duration, bool) {
	// Once reply text has arrived, a retry would show a second reply.
	if t.raw.Len() > 0 || !o.err.Retryable() || retries >= t.opts.MaxRetries || o.refusedHere {
		return 0, false
	}
	if o.err.RetryAfter > 0 {
		return o.err.RetryAfter, o.err.RetryAfter <= maxRetryWait
	}
	d := firstBackoff
	for range retries {
		d = min(2*d, maxBackoff)
	}
	return t.opts.Jitter(d), true
}

// usage is what the turn spent: the provider's figures when they are
// believable, or an estimate of what was sent and what arrived if the
// server accepted the request but reported nothing, or nonsense (then a
// Warning naming the server says so).
func (t *turn) usage(o outcome) chat.Usage {
	if o.usage != nil {
		u, problem := o.usage.check(int64(t.raw.Len()))
		if problem == "" {
			return u
		}
		t.out <- chat.Warning{Text: t.c.clean(fmt.Sprintf(
			"%s reported impossible token usage (%s); using a local estimate instead", t.c.host, problem))}
	} else if !o.accepted {
		return chat.Usage{}
	}
	return chat.Usage{
		PromptTokens:     int64(tokens.CountMessages(t.req.Model, t.req.Messages)),
		CompletionTokens: int64(tokens.Count(t.req.Model, t.raw.String())),
		Estimated:        true,
	}
}

// attempt sends the request once and streams its reply.
func (t *turn) attempt(ctx context.Context) outcome {
	if ctx.Err() != nil {
		return outcome{err: t.c.classify(ctx, ctx.Err(), nil, false, false)}
	}
	actx, cancel := context.WithCancel(ctx)
	defer cancel()
	actx, w := watch(actx, t.opts.timeouts())
	defer w.stop()
	creq := openai.ChatCompletionRequest{Model: t.c.model(t.req.Model), Messages: t.msgs}
	if t.req.Temperature != nil {
		creq.Temperature = float32(*t.req.Temperature)
	}
	withOptions := !t.c.noStreamOptions.Load()
	if withOptions {
		creq.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
	}
	stream, err := t.c.api.CreateChatCompletionStream(actx, creq)
	if err != nil {
		e := t.c.classify(ctx, err, w, false, false)
		return outcome{
			err: e,
			rl:  w.rl,
			// A canceled or timed-out request may have been taken and
			// billed; a refused one was not.
			accepted:              e.Class == chat.ErrCanceled || e.Class == chat.ErrTimeout,
			streamOptionsRejected: withOptions && e.Status == 400 && strings.Contains(e.Message, "stream_options"),
			refusedHere:           t.c.loopback && errors.Is(err, syscall.ECONNREFUSED),
		}
	}
	defer stream.Close()
	o := t.read(ctx, cancel, stream, w)
	o.rl, o.accepted = w.rl, true
	return o
}

// chunk is what one stream event carried, or the error that ended it.
type chunk struct {
	text, finish string
	usage        *wireUsage
	err          error
}

// read delivers the stream's text as coalesced Deltas and returns how the
// stream ended. A second goroutine blocks in Recv so that this one can
// deliver gathered text on time and notice a cancel at once. abort
// cancels the request.
func (t *turn) read(ctx context.Context, abort func(), stream *openai.ChatCompletionStream, w *watcher) outcome {
	chunks := make(chan chunk, 16)
	quit := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		for {
			// The raw event, parsed here: go-openai's types would fail
			// the whole turn on usage figures that are not integers.
			raw, err := stream.RecvRaw()
			c := chunk{err: err}
			if err == nil {
				c = parseChunk(raw)
			}
			select {
			case chunks <- c:
			case <-quit:
				return
			}
			if c.err != nil {
				return
			}
		}
	}()
	defer func() {
		// Stop the reader: it may be blocked in Recv, which aborting the
		// request ends, or on the channel, which quit releases.
		close(quit)
		abort()
		<-exited
	}()

	var o outcome
	timer := time.NewTimer(t.opts.Coalesce)
	timer.Stop()
	armed := false
	for {
		var tick <-chan time.Time
		if armed {
			tick = timer.C
		}
		select {
		case <-ctx.Done():
			o.err = canceledError()
			t.finishText()
			return o
		case <-tick:
			armed = false
			if !t.deliver() {
				// The consumer has not taken the last Delta yet: keep
				// gathering and try again later.
				timer.Reset(t.opts.Coalesce)
				armed = true
			}
		case c := <-chunks:
			if c.err != nil {
				switch {
				case ctx.Err() != nil:
					o.err = canceledError()
				case o.finish != "" || o.usage != nil:
					// The reply was complete; how the stream ended after
					// it ([DONE], or not) does not matter.
				case c.err == io.EOF:
					// The body ended without a finish reason: the
					// connection was cut, however cleanly.
					o.err = droppedError()
				default:
					o.err = t.c.classify(ctx, c.err, w, true, t.raw.Len() > 0)
				}
				t.finishText()
				return o
			}
			if c.usage != nil {
				o.usage = c.usage
			}
			if c.finish != "" {
				o.finish = c.finish
			}
			if c.text == "" {
				continue
			}
			if t.raw.Len()+len(c.text) > maxReplyText {
				o.err = t.c.classify(ctx, &tooLargeError{what: "the reply text", limit: maxReplyText}, w, true, true)
				t.finishText()
				return o
			}
			t.raw.WriteString(c.text)
			t.pending.WriteString(t.san.Write(t.red.Write(c.text)))
			if !t.delivered && t.deliver() {
				continue // the first text goes out at once
			}
			if !armed {
				timer.Reset(t.opts.Coalesce)
				armed = true
			}
		}
	}
}

// wireChunk is the part of a "chat.completion.chunk" event read here.
type wireChunk struct {
	Choices []struct {
		Index int `json:"index"`
		Delta struct {
			Content string `json:"content"`
			Refusal string `json:"refusal"`
		} `json:"delta"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage *wireUsage `json:"usage"`
}

func parseChunk(raw []byte) chunk {
	var w wireChunk
	if err := json.Unmarshal(raw, &w); err != nil {
		return chunk{err: err}
	}
	c := chunk{usage: w.Usage}
	// Only the first choice is shown; vaultchat never asks for more. The
	// final usage chunk has no choices at all.
	for _, choice := range w.Choices {
		if choice.Index != 0 {
			continue
		}
		c.text += choice.Delta.Content + choice.Delta.Refusal
		if choice.FinishReason != "" {
			c.finish = choice.FinishReason
		}
	}
	return c
}

// deliver sends the pending text as one Delta if the consumer has taken
// every earlier event, and reports whether nothing is left pending. Not
// sending while an event waits is what keeps the channel from filling up:
// a slow consumer gets fewer, larger Deltas.
func (t *turn) deliver() bool {
	if t.pending.Len() == 0 {
		return true
	}
	if len(t.out) > 0 {
		return false
	}
	t.out <- chat.Delta{Text: t.pending.String()}
	t.pending.Reset()
	t.delivered = true
	return true
}

// finishText flushes the filters and sends what is left as the last
// Delta, whether or not the consumer has caught up (Stream explains why
// there is room).
func (t *turn) finishText() {
	if t.raw.Len() == 0 {
		return
	}
	t.pending.WriteString(t.san.Write(t.red.Flush()) + t.san.Flush())
	if t.pending.Len() > 0 {
		t.out <- chat.Delta{Text: t.pending.String()}
		t.pending.Reset()
	}
}
