package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"filippo.io/age/armor"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/session"
	"github.com/vaultchat/vaultchat/internal/transcript"
)

// exportCmd writes conversations as transcripts.
type exportCmd struct {
	IDs       []string `arg:"" optional:"" name:"id" help:"Conversations to export (IDs as \"vaultchat conversations list\" shows them)."`
	Last      bool     `name:"last" xor:"which" help:"Export the most recent conversation."`
	All       bool     `name:"all" xor:"which" help:"Export every conversation (needs -o DIR)."`
	Format    string   `name:"format" short:"f" default:"md" enum:"md,json,txt,html" help:"Output format: md, json, txt or html."`
	Output    string   `name:"output" short:"o" placeholder:"FILE|DIR" help:"Write to FILE, or one file per conversation into DIR (default, or \"-\": stdout)."`
	Force     bool     `name:"force" help:"Replace existing files."`
	EncryptTo []string `name:"encrypt-to" sep:"none" placeholder:"RECIPIENT" help:"Encrypt the export with age to RECIPIENT (age1…, age1pq1…, ssh-ed25519 …); repeatable."`
	Armor     bool     `name:"armor" help:"With --encrypt-to, write PEM-armored text instead of binary."`
	// AllBranches exports the replies a regenerate replaced too.
	AllBranches bool `name:"all-branches" help:"Include every message's other versions (regenerated replies), not only the current branch."`
	EmbedImages bool `name:"embed-images" help:"HTML: show attached images in the page (default: their name and size)."`
}

// Run exports the selected conversations to stdout or files.
func (c *exportCmd) Run(a *app) error {
	format, err := transcript.ParseFormat(c.Format)
	if err != nil {
		return usagef("%v", err)
	}
	if c.Armor && len(c.EncryptTo) == 0 {
		return usagef("--armor only applies with --encrypt-to")
	}
	if c.EmbedImages && format != transcript.HTML {
		return usagef("--embed-images only applies to --format html (JSON keeps images whole; md and txt name them)")
	}
	if len(c.IDs) > 0 && (c.Last || c.All) {
		return usagef("give conversation IDs, or --last, or --all, not several")
	}
	if c.Output == "-" || c.Output == "/dev/stdout" {
		c.Output = "" // stdout, as without -o
	}
	if c.All && c.Output == "" {
		return usagef("--all needs -o DIR")
	}
	recipients, err := parseExportRecipients(c.EncryptTo)
	if err != nil {
		return err
	}
	if c.Output == "" && len(recipients) > 0 && !c.Armor && a.io.IsStdoutTTY {
		return withHint(errors.New("refusing to write binary encrypted output to a terminal"), "add --armor, or write to a file with -o FILE")
	}
	sess, err := a.openSession(false)
	if err != nil {
		return err
	}
	defer sess.Close()
	ids, err := c.selected(a, sess)
	if err != nil {
		return err
	}
	toDir := c.Output != "" && (c.All || len(ids) > 1 || isDir(c.Output) || strings.HasSuffix(c.Output, string(os.PathSeparator)))
	if len(ids) > 1 && !toDir {
		return usagef("%d conversations: write them into a directory with -o DIR", len(ids))
	}

	// Check every target before writing anything, so a refusal leaves no
	// half-done export behind. Conversations are loaded again to write
	// them rather than kept: --all may cover more than fits in memory.
	paths := make([]string, len(ids))
	used := map[string]bool{}
	var only *chat.Conversation // kept when there is just one
	for i, id := range ids {
		conv, err := sess.Load(id)
		if err != nil {
			return err
		}
		if len(ids) == 1 {
			only = conv
		}
		path := c.Output
		if toDir {
			path = filepath.Join(c.Output, uniqueName(transcript.FileName(conv, format), used))
		}
		if path != "" && len(recipients) > 0 && !strings.HasSuffix(path, ".age") {
			path += ".age"
		}
		if path != "" {
			err := session.CheckExportPath(path, c.Force)
			if toDir && errors.Is(err, session.ErrNoDirectory) {
				err = nil // made below
			}
			if err != nil {
				return exportHint(err)
			}
		}
		paths[i] = path
	}
	if toDir {
		if err := os.MkdirAll(c.Output, 0o700); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	for i, id := range ids {
		conv := only
		if conv == nil {
			if conv, err = sess.Load(id); err != nil {
				return err
			}
		}
		data, err := render(sess, conv, format, transcript.Options{AllBranches: c.AllBranches, EmbedImages: c.EmbedImages}, recipients, c.Armor)
		if err != nil {
			return err
		}
		if paths[i] == "" {
			if _, err := a.io.Out.Write(data); err != nil {
				return err
			}
			continue
		}
		if err := session.WriteExport(paths[i], data, c.Force); err != nil {
			return exportHint(err)
		}
		fmt.Fprintf(a.io.ErrOut, "wrote %s\n", a.clean(paths[i]))
	}
	return nil
}

// selected resolves which conversations to export: the IDs given, every
// conversation, or the most recent one (--last, the default).
func (c *exportCmd) selected(a *app, sess *session.Session) ([]string, error) {
	switch {
	case c.All:
		list, err := sess.Conversations()
		if err != nil {
			return nil, err
		}
		var ids []string
		for _, sum := range list {
			ids = append(ids, sum.ID)
		}
		if len(ids) == 0 {
			return nil, errors.New("there are no conversations to export")
		}
		return ids, nil
	case len(c.IDs) > 0:
		return c.IDs, nil
	}
	id, err := sess.Latest()
	if errors.Is(err, session.ErrNotFound) {
		return nil, errors.New("there are no conversations to export")
	}
	if err != nil {
		return nil, err
	}
	if !c.Last {
		// Nothing named: say which one, so a bare "export" is not a
		// silent guess.
		fmt.Fprintf(a.io.ErrOut, "vaultchat: exporting the most recent conversation, %s (--last; or give an ID)\n", a.cell(id))
	}
	return []string{id}, nil
}

// exportHint adds what to do about a refused export path.
func exportHint(err error) error {
	if errors.Is(err, session.ErrExists) {
		return withHint(err, "add --force to replace it, or choose another path")
	}
	if errors.Is(err, session.ErrNoDirectory) {
		return withHint(err, "create the directory first, or choose another path")
	}
	return err
}

// render exports conv, encrypted when recipients are given.
func render(sess *session.Session, conv *chat.Conversation, f transcript.Format, opts transcript.Options, recipients []age.Recipient, armored bool) ([]byte, error) {
	var plain bytes.Buffer
	if err := sess.RenderWith(&plain, conv, f, opts); err != nil {
		return nil, err
	}
	if len(recipients) == 0 {
		return plain.Bytes(), nil
	}
	var out bytes.Buffer
	var dst io.Writer = &out
	var aw io.WriteCloser
	if armored {
		aw = armor.NewWriter(&out)
		dst = aw
	}
	w, err := age.Encrypt(dst, recipients...)
	if err != nil {
		return nil, fmt.Errorf("encrypt export: %w", err)
	}
	if _, err := w.Write(plain.Bytes()); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	if aw != nil {
		if err := aw.Close(); err != nil {
			return nil, err
		}
	}
	return out.Bytes(), nil
}

// parseExportRecipients parses --encrypt-to values. Errors never quote the
// value: a pasted secret must not end up in an error message.
func parseExportRecipients(values []string) ([]age.Recipient, error) {
	var out []age.Recipient
	for i, s := range values {
		s = strings.TrimSpace(s)
		var (
			r   age.Recipient
			err error
		)
		switch {
		case strings.HasPrefix(s, "ssh-"):
			r, err = agessh.ParseRecipient(s)
		case strings.HasPrefix(s, "age1pq1"):
			r, err = age.ParseHybridRecipient(s)
		default:
			r, err = age.ParseX25519Recipient(s)
		}
		if err != nil {
			return nil, usagef("--encrypt-to value %d is not an age recipient (age1…, age1pq1…, ssh-ed25519 …)", i+1)
		}
		out = append(out, r)
	}
	return out, nil
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// uniqueName makes name unique among the files written in this run.
func uniqueName(name string, used map[string]bool) string {
	ext := filepath.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	candidate := name
	for i := 2; used[candidate]; i++ {
		candidate = fmt.Sprintf("%s-%d%s", stem, i, ext)
	}
	used[candidate] = true
	return candidate
}

// importCmd reads transcripts into the vault's conversation store.
type importCmd struct {
	Files        []string `arg:"" name:"file" help:"Our JSON exports or ChatGPT's conversations.json (\"-\": stdin)."`
	SkipExisting bool     `name:"skip-existing" help:"Import only the conversations not stored yet (to finish an import that was stopped), and say how many were skipped."`
}

// Run imports every conversation in the files, or none.
func (c *importCmd) Run(a *app) error {
	sess, err := a.openSession(false)
	if err != nil {
		return err
	}
	defer sess.Close()
	// Ctrl+C stops the import and undoes it; a kill is undone by the
	// next command that opens the vault.
	ctx, stopped, stop := signalContext()
	defer stop()
	var all []*chat.Conversation
	seen := map[string]string{}
	for _, name := range c.Files {
		f, err := a.openImport(name)
		if err != nil {
			return err
		}
		res, err := transcript.Import(f, name, transcript.ImportOptions{Redactor: sess.Redactor()})
		f.Close()
		if err != nil {
			if isZip(name) {
				return withHint(err, "nothing was imported", "unzip it first and import the conversations.json inside: vaultchat import DIR/conversations.json")
			}
			return withHint(err, "nothing was imported")
		}
		for _, conv := range res.Conversations {
			if other, dup := seen[conv.ID]; dup {
				return withHint(fmt.Errorf("conversation %s appears in both %s and %s", conv.ID, other, name), "nothing was imported")
			}
			seen[conv.ID] = name
			all = append(all, conv)
		}
		for _, note := range res.Notes {
			fmt.Fprintf(a.io.ErrOut, "%s: %s\n", name, a.clean(note))
		}
	}
	rep, err := sess.Import(ctx, all, c.SkipExisting)
	if err != nil {
		return stopped(importError(ctx, err, all, seen))
	}
	if len(rep.Skipped) > 0 {
		fmt.Fprintf(a.io.ErrOut, "skipped %s already in the vault\n", plural(len(rep.Skipped), "conversation"))
	}
	fmt.Fprintf(a.io.Out, "imported %s\n", plural(rep.Imported, "conversation"))
	return nil
}

// openImport opens one file to import; "-" is stdin. A directory is
// refused with the file to give instead: a ChatGPT export directory's
// conversations.json, not every .json in it.
func (a *app) openImport(name string) (io.ReadCloser, error) {
	if name == "-" {
		return io.NopCloser(a.io.In), nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, withHint(fmt.Errorf("import: %w", err), "nothing was imported")
	}
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		f.Close()
		hint := "give the JSON files in it, such as " + filepath.Join(name, "*.json")
		if inside := filepath.Join(name, "conversations.json"); fileExists(inside) {
			hint = "a ChatGPT export: give " + inside
		}
		return nil, withHint(fmt.Errorf("import: %s is a directory", name), hint)
	}
	return f, nil
}

// isZip reports whether the file at name starts as a zip archive does
// (ChatGPT's download is one).
func isZip(name string) bool {
	f, err := os.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	magic := make([]byte, 4)
	_, err = io.ReadFull(f, magic)
	return err == nil && string(magic) == "PK\x03\x04"
}

func fileExists(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// importError explains a failed import, naming the file of the
// conversation at fault.
func importError(ctx context.Context, err error, all []*chat.Conversation, seen map[string]string) error {
	switch {
	case ctx.Err() != nil:
		return withHint(errors.New("import canceled"), "nothing was imported")
	case errors.Is(err, session.ErrAlreadyStored):
		for _, c := range all {
			if strings.Contains(err.Error(), c.ID) {
				return withHint(fmt.Errorf("conversation %s from %s is already in the vault", c.ID, seen[c.ID]),
					"nothing was imported; to import only what is missing: vaultchat import --skip-existing FILE...",
					fmt.Sprintf("to import it again, first delete the stored copy: vaultchat conversations rm %s", c.ID))
			}
		}
	case errors.Is(err, session.ErrTooLarge):
		return withHint(err, "nothing was imported; the conversation is larger than vaultchat can store")
	}
	return withHint(err, "nothing was imported")
}

// plural is "1 conversation", "2 conversations".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
