package vault

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strings"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"filippo.io/age/plugin"
	"golang.org/x/crypto/ssh"
)

// scryptWorkFactor is the logN used when encrypting identity.age. Tests
// lower it through testOnlySetScryptWorkFactor; nothing else changes it.
var scryptWorkFactor = 18

// maxScryptWorkFactor bounds the work a planted identity.age can demand.
const maxScryptWorkFactor = 22

// identity is an unlocked vault identity: what decrypts, and the recipient
// everything is encrypted to.
type identity struct {
	ids  []age.Identity
	self age.Recipient
	// selfString is the recipient's encoding, such as "age1pq1…", or
	// for a few kinds a description ("ssh-ed25519 key").
	selfString string
	// public is the recipient's encoding that parseRecipient takes back,
	// or "" when it has none: a plugin identity used as its own
	// recipient, which the plugin needs the identity to encrypt to.
	public string
	// external is set when the identity is held elsewhere (Options.Identity).
	external bool
	// own is set when the identity is the home's identity.age (unlocked
	// by the passphrase, here or by the agent): vault.age is encrypted to
	// it, so a vault.age it does not open is damaged or replaced.
	own bool
}

// generateIdentity creates the vault's own post-quantum hybrid identity and
// returns it with its encoding, which is what identity.age holds.
func generateIdentity() (identity, string, error) {
	id, err := age.GenerateHybridIdentity()
	if err != nil {
		return identity{}, "", fmt.Errorf("generate identity: %w", err)
	}
	r := id.Recipient()
	return identity{ids: []age.Identity{id}, self: r, selfString: r.String(), public: r.String()}, id.String(), nil
}

// sealIdentity writes identity.age, encrypted with the passphrase.
func sealIdentity(path, encoded, passphrase string) error {
	r, err := age.NewScryptRecipient(passphrase)
	if err != nil {
		return fmt.Errorf("passphrase: %w", err)
	}
	r.SetWorkFactor(scryptWorkFactor)
	return seal(path, []byte(encoded+"\n"), r)
}

// unlockPassphrase decrypts identity.age with the passphrase.
func unlockPassphrase(path, passphrase string) (identity, error) {
	if passphrase == "" {
		return identity{}, fmt.Errorf("empty passphrase: %w", ErrWrongPassphrase)
	}
	sid, err := age.NewScryptIdentity(passphrase)
	if err != nil {
		return identity{}, fmt.Errorf("passphrase: %w", err)
	}
	sid.SetMaxWorkFactor(maxScryptWorkFactor)
	plaintext, err := unseal(path, maxIdentitySize, sid)
	if err != nil {
		return identity{}, fmt.Errorf("unlock %s: %w", identityFile, err)
	}
	id, err := age.ParseHybridIdentity(strings.TrimSpace(string(plaintext)))
	if err != nil {
		return identity{}, fmt.Errorf("unlock %s: identity does not parse: %w", identityFile, ErrCorrupted)
	}
	r := id.Recipient()
	return identity{ids: []age.Identity{id}, self: r, selfString: r.String(), public: r.String()}, nil
}

// loadIdentityFile reads a user's identity file: native age identities
// (X25519 or hybrid), an SSH private key (ed25519 or RSA, possibly
// passphrase-protected), or plugin identities such as age-plugin-yubikey's.
// The first identity's recipient becomes the vault's own recipient.
func loadIdentityFile(path string, opts Options) (identity, error) {
	// An identity file is small (a plugin stub or an RSA key is a few
	// KiB); a device or a FIFO given by mistake must fail, not hang.
	data, err := readSmallFile(path, maxIdentityFileSize)
	if err != nil {
		return identity{}, fmt.Errorf("read identity file: %w", err)
	}
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("-----BEGIN")) {
		return loadSSHIdentity(data, opts)
	}
	var (
		id          identity
		recipientOf string // from a "# Recipient: …" comment, as plugins write
		firstPlugin string // plugin name of the first identity, if it is one
	)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), maxIdentityFileSize+1)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") {
			if i := strings.Index(line, "Recipient:"); i >= 0 && recipientOf == "" {
				recipientOf = strings.TrimSpace(line[i+len("Recipient:"):])
			}
			continue
		}
		if line == "" {
			continue
		}
		var (
			ident   age.Identity
			self    age.Recipient
			selfStr string // shown to the user; never an identity encoding
			public  string // the recipient's encoding, if it has one
		)
		switch {
		case strings.HasPrefix(line, "AGE-PLUGIN-"):
			p, err := plugin.NewIdentity(line, clientUI(opts.PluginUI))
			if err != nil {
				return identity{}, fmt.Errorf("identity file line %d: malformed plugin identity", n)
			}
			ident, self = p, p.Recipient()
			selfStr = "plugin identity (age-plugin-" + p.Name() + ")"
		case strings.HasPrefix(line, "AGE-SECRET-KEY-PQ-1"):
			h, err := age.ParseHybridIdentity(line)
			if err != nil {
				return identity{}, fmt.Errorf("identity file line %d: malformed post-quantum identity", n)
			}
			ident, self = h, h.Recipient()
			public = h.Recipient().String()
		case strings.HasPrefix(line, "AGE-SECRET-KEY-1"):
			x, err := age.ParseX25519Identity(line)
			if err != nil {
				return identity{}, fmt.Errorf("identity file line %d: malformed X25519 identity", n)
			}
			ident, self = x, x.Recipient()
			public = x.Recipient().String()
		default:
			// Never echo the line: it may be key material.
			return identity{}, fmt.Errorf("identity file line %d: not an age identity", n)
		}
		id.ids = append(id.ids, ident)
		if id.self == nil {
			if selfStr == "" {
				selfStr = fmt.Sprint(self)
			}
			id.self, id.selfString, id.public = self, selfStr, public
			if p, ok := ident.(*plugin.Identity); ok {
				firstPlugin = p.Name()
			}
		}
	}
	if err := sc.Err(); err != nil {
		return identity{}, fmt.Errorf("read identity file: %w", err)
	}
	if len(id.ids) == 0 {
		return identity{}, errors.New("identity file holds no identity")
	}
	if recipientOf != "" && firstPlugin != "" {
		// Plugins such as age-plugin-yubikey write the recipient in a
		// comment; encrypting to it needs no identity-as-recipient support.
		// Only a native X25519 recipient or one of the identity's own
		// plugin is taken: a comment naming another plugin would make
		// every save run a second program (age-plugin-<name> from PATH)
		// and encrypt the vault to a recipient this identity cannot
		// decrypt.
		name, _, err := plugin.ParseRecipient(recipientOf)
		if isNativeX25519(recipientOf) || err == nil && name == strings.ToLower(firstPlugin) {
			if r, err := parseRecipient(recipientOf, opts.PluginUI); err == nil {
				id.self, id.selfString, id.public = r, recipientOf, recipientOf
			}
		}
	}
	return id, nil
}

func loadSSHIdentity(pemBytes []byte, opts Options) (identity, error) {
	ident, err := agessh.ParseIdentity(pemBytes)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		if missing.PublicKey == nil || opts.Passphrase == nil {
			return identity{}, errors.New("the SSH key is passphrase-protected and no passphrase can be asked for")
		}
		enc, err := agessh.NewEncryptedSSHIdentity(missing.PublicKey, pemBytes, func() ([]byte, error) {
			p, err := opts.Passphrase()
			return []byte(p), err
		})
		if err != nil {
			return identity{}, fmt.Errorf("SSH identity: %w", err)
		}
		r := enc.Recipient()
		pub := sshRecipientString(missing.PublicKey)
		return identity{ids: []age.Identity{enc}, self: r, selfString: pub, public: pub}, nil
	}
	if err != nil {
		return identity{}, fmt.Errorf("SSH identity: %w", err)
	}
	var pub string
	if signer, err := ssh.ParsePrivateKey(pemBytes); err == nil {
		pub = sshRecipientString(signer.PublicKey())
	}
	switch id := ident.(type) {
	case *agessh.Ed25519Identity:
		return identity{ids: []age.Identity{id}, self: id.Recipient(), selfString: "ssh-ed25519 key", public: pub}, nil
	case *agessh.RSAIdentity:
		return identity{ids: []age.Identity{id}, self: id.Recipient(), selfString: "ssh-rsa key", public: pub}, nil
	}
	return identity{}, errors.New("unsupported SSH key type (use ed25519 or RSA)")
}

func sshRecipientString(pk ssh.PublicKey) string {
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pk)))
}

// parseRecipient parses any recipient form vaultchat accepts as an extra
// vault recipient: age1…, age1pq1…, SSH public keys and plugin recipients.
// Its errors never quote s (age's own parse errors do): a user who pastes
// an identity or an API key into the wrong field must not see part of it
// in an error or a log.
func parseRecipient(s string, ui *plugin.ClientUI) (age.Recipient, error) {
	s = strings.TrimSpace(s)
	var (
		r    age.Recipient
		err  error
		kind string
	)
	switch {
	case strings.HasPrefix(s, "age1pq1"):
		kind = "post-quantum (age1pq1…)"
		r, err = age.ParseHybridRecipient(s)
	case strings.HasPrefix(s, "age1") && strings.Count(s, "1") >= 2 && !isNativeX25519(s):
		kind = "plugin (age1name1…)"
		r, err = plugin.NewRecipient(s, clientUI(ui))
	case strings.HasPrefix(s, "age1"):
		kind = "X25519 (age1…)"
		r, err = age.ParseX25519Recipient(s)
	case strings.HasPrefix(s, "ssh-"):
		kind = "SSH"
		r, err = agessh.ParseRecipient(s)
	case strings.HasPrefix(strings.ToUpper(s), "AGE-"):
		return nil, errors.New("that is a secret identity, not a recipient; give its public recipient (age1…) instead and keep the identity private")
	default:
		return nil, errors.New("not an age recipient (want age1…, age1pq1… or ssh-ed25519 …)")
	}
	if err != nil {
		return nil, fmt.Errorf("malformed %s recipient", kind)
	}
	return r, nil
}

// clientUI returns ui, or an empty ClientUI when ui is nil: age's plugin
// client dereferences it on every exchange, and an empty one makes plugin
// prompts fail cleanly instead of crashing.
func clientUI(ui *plugin.ClientUI) *plugin.ClientUI {
	if ui == nil {
		return &plugin.ClientUI{}
	}
	return ui
}

// isNativeX25519 reports whether s is a plain "age1" bech32 recipient
// rather than a plugin one ("age1yubikey1…").
func isNativeX25519(s string) bool {
	_, err := age.ParseX25519Recipient(s)
	return err == nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
