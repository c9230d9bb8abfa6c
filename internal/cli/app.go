package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/adrg/xdg"

	"github.com/vaultchat/vaultchat/internal/config"
	"github.com/vaultchat/vaultchat/internal/redact"
	"github.com/vaultchat/vaultchat/internal/sanitize"
	"github.com/vaultchat/vaultchat/vault"
)

// Environment variables vaultchat reads.
const (
	envHome           = "VAULTCHAT_HOME"
	envIdentity       = "VAULTCHAT_IDENTITY"
	envPassphraseFile = "VAULTCHAT_PASSPHRASE_FILE"
)

// maxSecretInput bounds what is read from stdin or a file as one secret;
// API keys are a few hundred bytes.
const maxSecretInput = 64 << 10

// app is what every command's Run receives: the injected world plus the
// resolved global settings and the helpers the commands share.
type app struct {
	io        *IOStreams
	lookupEnv func(string) (string, bool)
	environ   func() []string
	now       func() time.Time

	// Resolved from flags, then the environment, then XDG defaults.
	home           string
	configPath     string
	identity       string
	passphraseFile string
	demo           bool
	// configGiven is set when --config named the file: a missing file is
	// then a mistake, not "use the defaults".
	configGiven bool

	cfg *config.Config
	// cfgProblems are the settings of the file that could not be used.
	cfgProblems []error
	cfgWarned   bool
	// agentEnvWarned: an unknown VAULTCHAT_AGENT value was reported.
	agentEnvWarned bool
	// redactor masks every secret of the vault once one is open; before
	// that it still masks key-shaped strings.
	redactor *redact.Redactor
}

func newApp(d Deps) *app {
	a := &app{io: d.IO, lookupEnv: d.LookupEnv, environ: d.Environ, now: d.Now}
	if a.io == nil {
		a.io = &IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard}
	}
	if a.lookupEnv == nil {
		a.lookupEnv = func(string) (string, bool) { return "", false }
	}
	if a.environ == nil {
		a.environ = func() []string { return nil }
	}
	if a.now == nil {
		a.now = time.Now
	}
	return a
}

// getenv returns a non-empty environment variable, or "".
func (a *app) getenv(key string) string {
	v, _ := a.lookupEnv(key)
	return v
}

// resolve fills in the global settings from the parsed flags, the
// environment and the XDG base directories. XDG variables are read from the
// injected environment; adrg/xdg's values (read from the process
// environment at start-up) are only the fallback, and nothing here creates
// a directory.
func (a *app) resolve(r *root) {
	a.home = firstSet(r.Home, a.getenv(envHome), filepath.Join(a.xdgDir("XDG_DATA_HOME", xdg.DataHome), "vaultchat"))
	a.configPath = firstSet(r.Config, filepath.Join(a.xdgDir("XDG_CONFIG_HOME", xdg.ConfigHome), "vaultchat", "config.toml"))
	if abs, err := filepath.Abs(a.configPath); err == nil {
		a.configPath = abs // the same file in every message, whatever the command
	}
	a.identity = firstSet(r.Identity, a.getenv(envIdentity))
	a.passphraseFile = firstSet(r.PassphraseFile, a.getenv(envPassphraseFile))
	a.demo = r.Demo
	a.configGiven = r.Config != ""
}

// xdgDir returns the XDG base directory in the environment variable name,
// ignoring relative paths as the XDG specification requires.
func (a *app) xdgDir(name, fallback string) string {
	if v := a.getenv(name); filepath.IsAbs(v) {
		return v
	}
	return fallback
}

func firstSet(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// config loads the settings file once. A problem with one of the
// settings the command uses (uses: top-level keys such as "prices") is
// an error; a problem with any other setting keeps that setting's default
// with a warning, so that one typo does not stop every command. The app
// and unlock, which set how long the vault stays open, use strictConfig,
// and "config check" stays strict.
func (a *app) config(uses ...string) (config.Config, error) {
	if err := a.loadConfig(); err != nil {
		return config.Config{}, err
	}
	if p := config.Affecting(a.cfgProblems, uses...); p != nil {
		return config.Config{}, a.configError(p)
	}
	if !a.cfgWarned {
		a.cfgWarned = true
		for _, p := range a.cfgProblems {
			printWarning(a.io.ErrOut, a.redactor, "config %s: %v (that setting keeps its default until fixed with \"vaultchat config edit\")", a.configPath, p)
		}
	}
	return *a.cfg, nil
}

// strictConfig is config that fails on any problem of the file.
func (a *app) strictConfig() (config.Config, error) {
	if err := a.loadConfig(); err != nil {
		return config.Config{}, err
	}
	if len(a.cfgProblems) > 0 {
		return config.Config{}, a.configError(a.cfgProblems[0])
	}
	return *a.cfg, nil
}

func (a *app) configError(p error) error { return configError(a.configPath, p) }

// loadConfig reads the file once, keeping the settings it could use and
// the problems of the others.
func (a *app) loadConfig() error {
	if a.cfg != nil {
		return nil
	}
	if a.configGiven {
		if _, err := os.Stat(a.configPath); err != nil {
			return withHint(fmt.Errorf("config file: %w", err), "check the --config path, or drop the flag to use the defaults")
		}
	}
	c, problems, err := config.LoadLenient(a.configPath)
	if err != nil {
		return withHint(err, "the settings must be a file; remove or fix what is at that path")
	}
	a.cfg, a.cfgProblems = &c, problems
	return nil
}

// errNoPassphrase is returned when a passphrase is needed and there is no
// way to get one.
var errNoPassphrase = withHint(errors.New("a passphrase is needed and there is no terminal to ask for it"),
	"give it with --passphrase-file FILE or VAULTCHAT_PASSPHRASE_FILE (the file's first line is the passphrase)",
	"or use an age identity file instead: --identity FILE")

// canGetPassphrase reports whether passphrase could succeed without
// trying, so commands fail before doing anything else.
func (a *app) canGetPassphrase() bool {
	return a.passphraseFile != "" || a.io.ReadSecret != nil
}

// passphrase returns the vault passphrase: the passphrase file's first
// line, or what the user types at the terminal with echo off.
func (a *app) passphrase(prompt string) (string, error) {
	if a.passphraseFile != "" {
		return a.readPassphraseFile(a.passphraseFile)
	}
	if a.io.ReadSecret == nil {
		return "", errNoPassphrase
	}
	return a.io.ReadSecret(prompt)
}

// newPassphrase returns a new passphrase from file, or typed twice at the
// terminal.
func (a *app) newPassphrase(file string) (string, error) {
	var p string
	if file != "" {
		var err error
		if p, err = a.readPassphraseFile(file); err != nil {
			return "", err
		}
	} else {
		if a.io.ReadSecret == nil {
			return "", errNoPassphrase
		}
		var err error
		if p, err = a.io.ReadSecret("new passphrase: "); err != nil {
			return "", err
		}
		if p == "" {
			return "", errors.New("the passphrase cannot be empty")
		}
		again, err := a.io.ReadSecret("new passphrase again: ")
		if err != nil {
			return "", err
		}
		if again != p {
			return "", errors.New("the passphrases do not match")
		}
	}
	if utf8.RuneCountInString(p) < 12 {
		a.warn("the passphrase is under 12 characters; anyone who copies the vault files can try guesses offline")
	}
	return p, nil
}

// readPassphraseFile returns the first line of path, without its line
// ending.
func (a *app) readPassphraseFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", withHint(fmt.Errorf("read passphrase file: %w", err), "check the path given with --passphrase-file or VAULTCHAT_PASSPHRASE_FILE")
	}
	defer f.Close()
	// A pipe is fine (--passphrase-file <(pass show vault)); only a
	// regular file can be too open, and a directory is a mistake.
	if fi, err := f.Stat(); err == nil {
		switch {
		case fi.IsDir():
			return "", fmt.Errorf("passphrase file %s is a directory", path)
		case fi.Mode().IsRegular() && fi.Mode().Perm()&0o077 != 0:
			a.warn("passphrase file %s is readable by other users (mode %04o); run: chmod 600 %s", path, fi.Mode().Perm(), path)
		}
	}
	line, err := bufio.NewReader(io.LimitReader(f, maxSecretInput)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read passphrase file: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("passphrase file %s: the first line is empty", path)
	}
	return line, nil
}

// vaultOptions says how to unlock the vault: the identity file if one is
// set, otherwise the passphrase.
func (a *app) vaultOptions() vault.Options {
	return vault.Options{
		IdentityFile: a.identity,
		Passphrase:   func() (string, error) { return a.passphrase("vault passphrase: ") },
	}
}

// checkUnlockable fails early, before anything is read or asked, when the
// vault needs a passphrase that cannot be had.
func (a *app) checkUnlockable() error {
	if vault.Exists(a.home) && vault.UsesPassphrase(a.home, a.vaultOptions()) && !a.canGetPassphrase() {
		if a.agentOff() == "" {
			return errLockedNoTerminal
		}
		return errNoPassphrase
	}
	return nil
}

// open unlocks and loads the vault: through the agent when one holds the
// identity, else as usual. The caller must Close it.
func (a *app) open() (*vault.Vault, error) { return a.openWith(vault.Open) }

// unlock unlocks the vault without reading vault.age, for commands that
// must work when it no longer opens. The caller must Close it.
func (a *app) unlock() (*vault.Vault, error) { return a.openWith(vault.Unlock) }

// openWith opens the vault with open (vault.Open or vault.Unlock), asking
// the agent first; a refusing agent is reported and passed over.
func (a *app) openWith(open func(string, vault.Options) (*vault.Vault, error)) (*vault.Vault, error) {
	v, err := a.openThroughAgent(open, a.agentClient(true))
	var unavailable *agentUnavailable
	if errors.As(err, &unavailable) {
		if unavailable.cause != nil {
			a.warn("%v; unlocking without the agent", unavailable.cause)
		}
		if err := a.checkUnlockable(); err != nil {
			return nil, err
		}
		v, err = open(a.home, a.vaultOptions())
	}
	if err != nil {
		return nil, err
	}
	a.adopt(v)
	return v, nil
}

// adopt prints the vault's warnings and redacts its secrets from all
// further output.
func (a *app) adopt(v *vault.Vault) {
	for _, w := range v.Warnings() {
		a.warn("%s", w)
	}
	a.refreshRedactor(v)
}

// refreshRedactor rebuilds the redactor after the vault's secrets changed.
func (a *app) refreshRedactor(v *vault.Vault) {
	a.redactor = v.Redactor()
}

// readKeySecret reads a new API key: from the environment variable fromEnv
// when set, else at the terminal with echo off when stdin is a terminal,
// else from stdin. Never from a flag or an argument.
func (a *app) readKeySecret(name, fromEnv string) (vault.Secret, error) {
	return a.readOptionalKeySecret(name, fromEnv, "")
}

// readOptionalKeySecret is readKeySecret for a key whose server may need
// none: an empty answer stores placeholder (providers.NoKey) instead of
// failing. An empty placeholder makes the key required.
func (a *app) readOptionalKeySecret(name, fromEnv, placeholder string) (vault.Secret, error) {
	var (
		raw    string
		source string
	)
	switch {
	case fromEnv != "":
		v, ok := a.lookupEnv(fromEnv)
		if !ok {
			return vault.Secret{}, usagef("environment variable %s is not set", fromEnv)
		}
		raw, source = v, "environment variable "+fromEnv
	case a.io.IsStdinTTY && a.io.ReadSecret != nil:
		prompt := fmt.Sprintf("API key for %s (input hidden): ", name)
		if placeholder != "" {
			prompt = fmt.Sprintf("API key for %s (input hidden; Enter for none): ", name)
		}
		v, err := a.io.ReadSecret(prompt)
		if err != nil {
			return vault.Secret{}, err
		}
		raw, source = v, "the prompt"
	default:
		b, err := io.ReadAll(io.LimitReader(a.io.In, maxSecretInput+1))
		if err != nil {
			return vault.Secret{}, fmt.Errorf("read the key from stdin: %w", err)
		}
		if len(b) > maxSecretInput {
			return vault.Secret{}, fmt.Errorf("stdin holds over %d bytes; that is not an API key", maxSecretInput)
		}
		raw, source = string(b), "stdin"
	}
	if placeholder != "" && strings.TrimSpace(raw) == "" {
		raw = placeholder
	}
	s, err := vault.NewSecret(raw)
	if err != nil {
		hint := "pipe the key on stdin (printf %s \"$KEY\" | vaultchat keys add NAME), use --from-env VAR, or run in a terminal to be prompted"
		if source != "stdin" || strings.TrimSpace(raw) != "" {
			hint = "give only the key itself: one line, no spaces or control characters"
		}
		return vault.Secret{}, withHint(fmt.Errorf("the key from %s: %w", source, err), hint)
	}
	return s, nil
}

// confirm asks a yes/no question on the terminal; the answer defaults to
// no. It fails when stdin is not a terminal.
func (a *app) confirm(question string) (bool, error) {
	if !a.io.IsStdinTTY {
		return false, errors.New("cannot ask for confirmation: stdin is not a terminal")
	}
	fmt.Fprintf(a.io.ErrOut, "%s [y/N] ", question)
	line, err := bufio.NewReader(a.io.In).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false, fmt.Errorf("read answer: %w", err)
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}

// warn prints a warning on stderr.
func (a *app) warn(format string, args ...any) {
	printWarning(a.io.ErrOut, a.redactor, format, args...)
}

// printf writes to stdout.
func (a *app) printf(format string, args ...any) {
	fmt.Fprintf(a.io.Out, format, args...)
}

// clean makes user- or server-supplied text safe to print: secrets masked,
// control characters and escape sequences neutralised.
func (a *app) clean(s string) string {
	return sanitize.String(a.redactor.String(s))
}

// cellMax is cell cut to at most n characters. It masks first and cuts
// afterwards: cut first, a quoted secret would lose its end and be
// masked with characters from its middle.
func (a *app) cellMax(s string, n int) string {
	return truncate(a.cell(s), n)
}

// cell is clean for one table cell: one line, no tabs.
func (a *app) cell(s string) string {
	s = strings.Join(strings.Fields(a.clean(s)), " ")
	if s == "" {
		return "-"
	}
	return s
}
