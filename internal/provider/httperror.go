package provider

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/redact"
)

// classifyHTTP classifies an HTTP error response from its status and body
// (any of the shapes errorDetail reads), masking with red what it quotes
// of the body: the body as it came and its text once decoded (JSON
// escapes can hide a key), both before classifyStatus shortens it, since
// a cut through a secret leaves a part no mask recognises. keyName is
// used in hints. The Error's text is not yet sanitized.
func classifyHTTP(status int, body string, red *redact.Redactor, retryAfter time.Duration, keyName string) *chat.Error {
	code, detail := errorDetail(red.String(body))
	code, detail = red.String(code), red.String(detail)
	where := fmt.Sprintf("HTTP %d", status)
	if detail == "" && http.StatusText(status) != "" {
		// No message of the server's (or a web page, not worth quoting):
		// the status line says what is known.
		where += " " + http.StatusText(status)
	}
	e := classifyStatus(status, where, code, detail, retryAfter, keyName)
	e.Status = status
	return e
}

// classifyStatus classifies an error by its HTTP status (or the status
// its code implies), saying where it was reported ("HTTP 500", "reported
// mid-stream") and quoting the server's detail.
func classifyStatus(status int, where, code, detail string, retryAfter time.Duration, keyName string) *chat.Error {
	detail = shorten(detail, 300)
	low := strings.ToLower(code + " " + detail)
	e := &chat.Error{RetryAfter: retryAfter}
	statusLine := where
	switch {
	case status == 401 || status == 403:
		e.Class = chat.ErrInvalidKey
		e.Message = "invalid API key (" + statusLine + ")"
		e.Hint = fmt.Sprintf("run \"vaultchat keys check %s\", or rotate it with \"vaultchat keys rotate %s\"", keyName, keyName)
	case status == 429 && (code == "insufficient_quota" || strings.Contains(low, "quota")):
		e.Class = chat.ErrNoQuota
		e.Message = "the key has no quota left (HTTP 429 insufficient_quota)"
		e.Hint = "check the account's billing, or switch to another key"
	case status == 429:
		e.Class = chat.ErrRateLimited
		e.Message = "rate limited (" + statusLine + ")"
		if retryAfter > 0 {
			e.Hint = fmt.Sprintf("rate limited; retry in %s or switch key", retryAfter.Round(time.Second))
		} else {
			e.Hint = "rate limited; retry shortly or switch key"
		}
	case status == 404:
		e.Class = chat.ErrModelNotFound
		e.Message = "model not found (" + statusLine + ")"
		e.Hint = "pick another model; \"vaultchat models --key " + keyName + "\" lists what the key can use"
	case status == 400 && (code == "context_length_exceeded" || strings.Contains(low, "context length") || strings.Contains(low, "maximum context")):
		e.Class = chat.ErrContextTooLong
		e.Message = "the conversation is too long for the model's context window"
		e.Hint = "start a new conversation or pick a model with a larger context"
	case status >= 500:
		e.Class = chat.ErrServer
		e.Message = "server error (" + statusLine + ")"
		e.Hint = "the provider is having trouble; retry later"
	default:
		e.Class = chat.ErrBadRequest
		e.Message = "request refused (" + statusLine + ")"
	}
	if detail != "" && e.Class != chat.ErrContextTooLong {
		e.Message += ": " + detail
	}
	return e
}

// errorDetail returns the server's own explanation in an error body, and
// its error code or type when it gives one. It reads the common shapes:
//
//	{"error": {"message": "…", "type": "…", "code": "…"}}   OpenAI, Azure, most servers
//	{"error": "SyntaxError", "message": "…"}              Express, some proxies
//	{"error": "…"}
//	{"detail": "…"} or {"detail": [{"msg": "…"}, …]}     FastAPI (vLLM, LiteLLM, …)
//	{"message": "…"}
//	plain text
//
// An HTML page gives no detail: its markup is not worth quoting, and the
// status line says what is known.
func errorDetail(body string) (code, detail string) {
	body = strings.TrimSpace(body)
	if body == "" || isHTML(body) {
		return "", ""
	}
	var v map[string]json.RawMessage
	if json.Unmarshal([]byte(body), &v) != nil {
		return "", body // plain text (or JSON that is not an object)
	}
	message := text(v["message"])
	if raw, ok := v["error"]; ok {
		var inner struct {
			Message json.RawMessage `json:"message"`
			Type    json.RawMessage `json:"type"`
			Code    json.RawMessage `json:"code"`
		}
		if json.Unmarshal(raw, &inner) == nil && (inner.Message != nil || inner.Type != nil || inner.Code != nil) {
			code = text(inner.Code)
			if code == "" {
				code = text(inner.Type)
			}
			return code, text(inner.Message)
		}
		if name := text(raw); name != "" {
			if message == "" {
				return "", name
			}
			return name, name + ": " + message
		}
	}
	if raw, ok := v["detail"]; ok {
		return "", detailText(raw)
	}
	if message != "" {
		return text(v["code"]), message
	}
	return "", body
}

// text returns a JSON string, a number's text, or a list of strings joined;
// "" for anything else.
func text(raw json.RawMessage) string {
	if raw == nil {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return strings.Join(list, "; ")
	}
	return ""
}

// detailText reads FastAPI's "detail": a string, or a list of validation
// errors ({"loc": ["body", "messages"], "msg": "field required"}).
func detailText(raw json.RawMessage) string {
	if s := text(raw); s != "" {
		return s
	}
	var list []struct {
		Loc []any  `json:"loc"`
		Msg string `json:"msg"`
	}
	if json.Unmarshal(raw, &list) == nil {
		var parts []string
		for _, d := range list {
			if d.Msg == "" {
				continue
			}
			if len(d.Loc) > 0 {
				parts = append(parts, fmt.Sprint(d.Loc[len(d.Loc)-1])+": "+d.Msg)
			} else {
				parts = append(parts, d.Msg)
			}
		}
		return strings.Join(parts, "; ")
	}
	return strings.TrimSpace(string(raw))
}

// isHTML reports whether a body is a web page rather than an API answer.
func isHTML(body string) bool {
	head := strings.ToLower(body[:min(len(body), 512)])
	return strings.HasPrefix(head, "<!doctype html") || strings.HasPrefix(head, "<html") ||
		strings.HasPrefix(head, "<") && (strings.Contains(head, "<head") || strings.Contains(head, "<body") || strings.Contains(head, "<title"))
}

func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
