package chat

// incompleteWords says why a turn stopped, by Turn.IncompleteReason: the
// ErrorClass the engine records, and the words the TUI and older
// versions wrote ("budget", "rate limited", "failed").
var incompleteWords = map[string]string{
	string(ErrCanceled):        "stopped by you",
	string(ErrBudgetExceeded):  "stopped: over budget",
	"budget":                   "stopped: over budget",
	string(ErrRateLimited):     "stopped: rate limited",
	"rate limited":             "stopped: rate limited",
	string(ErrNoQuota):         "stopped: no quota left",
	string(ErrInvalidKey):      "stopped: the key was refused",
	string(ErrModelNotFound):   "stopped: unknown model",
	string(ErrContextTooLong):  "stopped: the conversation is too long for the model",
	string(ErrServer):          "stopped: server error",
	string(ErrNetwork):         "stopped: network error",
	string(ErrBadRequest):      "stopped: the server refused the request",
	string(ErrModelNotAllowed): "stopped: model not allowed for the key",
	string(ErrBadResponse):     "stopped: unexpected response",
	string(ErrTimeout):         "stopped: the server stopped answering",
	string(ErrOther):           "stopped: failed",
	"failed":                   "stopped: failed",
	"no result":                "stopped: the reply ended without a result",
}

// IncompleteWords says in words why a turn stopped before its end, from
// its IncompleteReason: "stopped by you", "stopped: over budget"; the
// reply footers of the app and the exports show it (JSON keeps the code).
// A reason it does not know (an import's "interrupted") is shown as it
// is, after "incomplete: "; the caller sanitizes it.
func IncompleteWords(reason string) string {
	if reason == "" {
		return "incomplete"
	}
	if w, ok := incompleteWords[reason]; ok {
		return w
	}
	return "incomplete: " + reason
}
