package session

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/vaultchat/vaultchat/vault"
)

// What the side pane shows of a key's provider: read from the encrypted
// caches that usage --reconcile and OpenRouter's figures leave, never
// fetched (the pane is drawn too often to ask a provider).

// readCache decrypts and parses a cache file of the home into v.
func (h *home) readCache(name string, v any) error {
	b, err := h.vault.Files().ReadFile(name, 0)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// readKeptCache is readCache for the side pane, which reads on every
// redraw and turn: the file is decrypted only when it changed since it
// was last read (cacheFiles). Only small files go through it (a key's
// figures, the verdicts), not the provider's usage answers.
func (h *home) readKeptCache(name string, v any) error {
	b, err := h.caches.read(h.vault.Files(), name)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// writeCache encrypts v as JSON into a cache file of the home.
func (h *home) writeCache(name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	// What readKeptCache keeps of the old file goes by itself: the new
	// file has a new version.
	return h.vault.Files().WriteFile(name, b)
}

// verdictsFile holds the last reconciliation's verdict per key.
const verdictsFile = "provider/reconcile-verdicts.age"

// verdict is one key's outcome of the last reconciliation.
type verdict struct {
	Fetched  time.Time `json:"fetched"`
	From     string    `json:"from"`
	To       string    `json:"to"`
	Flag     string    `json:"flag,omitempty"`
	Matched  bool      `json:"matched"`
	Provider int64     `json:"provider_tokens"`
	Local    int64     `json:"local_tokens"`
}

// saveVerdicts keeps each key's verdict for the side pane.
func (h *home) saveVerdicts(rep ReconcileReport, from, to time.Time) error {
	v := map[string]verdict{}
	for _, k := range rep.Keys {
		v[k.KeyID] = verdict{Fetched: rep.Fetched, From: from.Format("2006-01-02"), To: to.AddDate(0, 0, -1).Format("2006-01-02"),
			Flag: k.Flag, Matched: k.ProviderKeyID != "", Provider: k.ProviderTokens, Local: k.LocalTokens}
	}
	if err := h.writeCache(verdictsFile, v); err != nil {
		return fmt.Errorf("keep the reconciliation's verdicts: %w", err)
	}
	return nil
}

// providerLine is view.Usage.Provider for k.
func (h *home) providerLine(k vault.Key) string {
	switch accountAPI(k) {
	case apiOpenRouter:
		var p ProviderFigures
		if h.readKeptCache(figuresCacheName(k.ID), &p) == nil {
			return p.Sentence() + " (as of " + p.Fetched.Local().Format("Jan 2 15:04") + ")"
		}
	case apiOpenAI:
		var all map[string]verdict
		if h.readKeptCache(verdictsFile, &all) == nil {
			v, ok := all[k.ID]
			switch {
			case !ok:
			case v.Flag != "":
				return "reconciled " + v.Fetched.Local().Format("Jan 2 15:04") + ": " + v.Flag
			default:
				return fmt.Sprintf("reconciled %s: provider agrees (%s to %s)", v.Fetched.Local().Format("Jan 2 15:04"), v.From, v.To)
			}
		}
	}
	return ""
}
