package redact

import (
	"strings"
	"testing"
)

// disguises returns key written in every way a renderer would show as the
// key itself.
func disguises(key string) map[string]string {
	return map[string]string{
		"backslash escapes": strings.ReplaceAll(key, "-", `\-`),
		"JSON escapes":      strings.ReplaceAll(key, "-", `\u002d`),
		"hex escapes":       strings.ReplaceAll(key, "-", `\x2D`),
		"ES6 escapes":       strings.ReplaceAll(key, "-", `\u{2d}`),
		"long escapes":      strings.ReplaceAll(key, "-", `\U0000002d`),
		"numeric entities":  strings.ReplaceAll(key, "-", "&#45;"),
		"hex entities":      strings.ReplaceAll(key, "-", "&#x2D;"),
		"named entities":    strings.ReplaceAll(key, "_", "&lowbar;"),
		"emphasis":          key[:1] + "**" + key[1:] + "**",
		"code span":         key[:1] + "`" + key[1:] + "`",
		"strikethrough":     key[:4] + "~~" + key[4:] + "~~",
		"zero-width joiner": key[:10] + "\u200d" + key[10:],
		"zero-width space":  key[:10] + "\u200b" + key[10:],
		"soft hyphen":       key[:12] + "\u00ad" + key[12:],
		"stand-in":          key[:10] + "<U+200B>" + key[10:],
		"inline tag":        key[:1] + "<strong>" + key[1:] + "</strong>",
		"styled terminal":   key[:1] + "\x1b[38;5;252;1m" + key[1:9] + "\x1b[m\x1b[1m" + key[9:] + "\x1b[m",
	}
}

func TestDisplayedMasksDisguisedKeys(t *testing.T) {
	key := fakeKey("CANARY_xyz9")
	value := "0f3a9c77-" + "d1e2b4c5_a6f7e8d9-c0b1a2" // a prefix-less secret
	for _, tc := range []struct {
		name string
		r    *Redactor
		key  string
	}{{"shape", nil, key}, {"value", New(value), value}} {
		for name, d := range disguises(tc.key) {
			text := "the key is " + d + ", keep it."
			got := tc.r.Displayed(text)
			if strings.Contains(got, "CANARY") || strings.Contains(got, "d1e2b4c5") {
				t.Errorf("%s/%s: key shown: %q", tc.name, name, got)
			}
			if !strings.HasPrefix(got, "the key is ") || !strings.HasSuffix(got, ", keep it.") {
				t.Errorf("%s/%s: surrounding text changed: %q", tc.name, name, got)
			}
		}
	}
}

func TestDisplayedLeavesOrdinaryTextAlone(t *testing.T) {
	for _, text := range []string{
		"**bold** and `code` &amp; \\* escapes <b>tag</b> ok",
		"a < b && c > d; x &#45; y",
		"emoji 👨\u200d👩\u200d👧 and café",
		"\x1b[1mstyled\x1b[m text",
	} {
		if got := (*Redactor)(nil).Displayed(text); got != text {
			t.Errorf("Displayed(%q) = %q", text, got)
		}
	}
}

func TestDisplayedSpansCoverTheMarkup(t *testing.T) {
	key := fakeKey("CANARYxyz")
	text := "x s**" + key[1:] + "** y"
	spans := (*Redactor)(nil).DisplayedSpans(text)
	if len(spans) != 1 {
		t.Fatalf("spans = %v", spans)
	}
	sp := spans[0]
	if text[sp.Start:sp.End] != "s**"+key[1:] || sp.Mask != Mask(key) {
		t.Fatalf("span %q mask %q", text[sp.Start:sp.End], sp.Mask)
	}
}
