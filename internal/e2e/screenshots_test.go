package e2e

import (
	"bytes"
	"fmt"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// envScreenshots names the directory TestScreenshots writes the README
// screenshots to; without it the test is skipped.
const envScreenshots = "VAULTCHAT_SCREENSHOTS"

// freeze renders a captured screen to PNG. It is run with "go run", so it
// is not a dependency of the module.
const freeze = "github.com/charmbracelet/freeze@v0.2.2"

// Font size of the screenshots, and freeze's geometry: a cell is
// fontSize/1.68 pixels wide and fontSize*1.2 high, and the window adds
// padding (20 top, 40 right, 20 bottom, 20 left) and 15 pixels of title
// bar.
const (
	shotFontSize = 16
	shotPadW     = 20 + 40 + 8
	shotPadH     = 20 + 20 + 15 + 8
)

// TestScreenshots drives "vaultchat --demo" into the screens the README
// shows and renders each captured screen, colours included, to a PNG
// with freeze: the main screen with the usage pane after two turns with
// two keys, the key picker, and a markdown reply with a table and code.
//
// Run it with docs/screenshots/make.sh. It needs the network once, for go
// run to fetch freeze.
func TestScreenshots(t *testing.T) {
	out := os.Getenv(envScreenshots)
	if out == "" {
		t.Skip("set " + envScreenshots + "=DIR to write the README screenshots to DIR")
	}
	out, err := filepath.Abs(out)
	if err != nil {
		t.Fatal(err)
	}
	shots := []struct {
		name  string
		w, h  int
		drive func(t *testing.T, tm *term)
	}{
		{"main", 120, 46, func(t *testing.T, tm *term) {
			ask(tm, "Hello! What can you do?", "personal", "sim-fast")
			switchKey(tm, "work")
			ask(tm, "And what does the usage pane show?", "work", "gpt-4o-mini")
			tm.waitFor("the usage pane of the work key", func(s string) bool {
				tok, active := monthTokens(s)
				return active == "work" && len(tok) == 3 && strings.Contains(s, "BUDGETS") && strings.Contains(s, "requests")
			})
		}},
		{"key-picker", 120, 36, func(t *testing.T, tm *term) {
			ask(tm, "Hello! What can you do?", "personal", "sim-fast")
			tm.send(keyCtrlK)
			tm.waitFor("the key picker", func(s string) bool {
				return pickerSelected(s) == "personal" && strings.Contains(s, "side-project") && strings.Contains(s, "last used")
			})
		}},
		{"markdown", 100, 48, func(t *testing.T, tm *term) {
			ask(tm, "Show me some markdown, with a table and code.", "personal", "sim-fast")
			tm.waitText("Simulated reply to turn 1", "That is all for this turn.")
		}},
	}
	for _, shot := range shots {
		t.Run(shot.name, func(t *testing.T) {
			f := newFixture(t)
			f.env = append(f.env, "COLORTERM=truecolor")
			tm := f.start(shot.w, shot.h, "--demo")
			tm.waitFor("the demo", func(s string) bool { return strings.Contains(s, "DEMO ·") && idle(s) })
			tm.send(keyCtrlN) // the demo opens on its latest conversation; shoot a new one
			tm.waitText("type a message and press enter")
			shot.drive(t, tm)
			ansi := filepath.Join(t.TempDir(), shot.name+".ansi")
			if err := os.WriteFile(ansi, []byte(tm.styledScreen()), 0o600); err != nil {
				t.Fatal(err)
			}
			tm.send(keyCtrlC)
			tm.waitExit()
			renderPNG(t, ansi, shot.w, shot.h, filepath.Join(out, shot.name+".png"))
		})
	}
}

// ask sends a message and waits for the reply's footer.
func ask(tm *term, message, key, model string) {
	tm.t.Helper()
	tm.send(message + keyEnter)
	tm.waitFor("the reply from "+key, func(s string) bool {
		return idle(s) && strings.Contains(s, "That is all for this turn.") && len(footers(s, key, model)) > 0
	})
}

// switchKey picks key in the key picker.
func switchKey(tm *term, key string) {
	tm.t.Helper()
	tm.send(keyCtrlK)
	tm.waitText("switch key")
	tm.send(key)
	tm.waitFor("the picker filtered to "+key, func(s string) bool { return pickerSelected(s) == key })
	tm.send(keyEnter)
	tm.waitText("switched to key " + key)
}

// renderPNG renders a w×h screen captured as ANSI text to a PNG at dst,
// sized to fit the screen exactly, and recompresses it (freeze writes
// large, fast-compressed files).
func renderPNG(t *testing.T, ansi string, w, h int, dst string) {
	t.Helper()
	width := int(math.Ceil(float64(w)*shotFontSize/1.68)) + shotPadW
	height := int(math.Ceil(float64(h)*shotFontSize*1.2)) + shotPadH
	tmp := filepath.Join(t.TempDir(), "freeze.png")
	cmd := exec.Command("go", "run", freeze, ansi, "--language", "ansi", "--window",
		"--font.size", fmt.Sprint(shotFontSize), "--width", fmt.Sprint(width), "--height", fmt.Sprint(height), "--output", tmp)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("freeze: %v\n%s", err, b)
	}
	raw, err := os.ReadFile(tmp)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("decode freeze's PNG: %v", err)
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%dx%d, %d KB)", dst, img.Bounds().Dx(), img.Bounds().Dy(), buf.Len()>>10)
}
