// Package agent is "unlock once per login": a background process that
// holds a vault's unlocked identity and unwraps file keys for the user's
// other vaultchat processes, which never get the identity itself.
//
// "vaultchat unlock" asks for the passphrase once and starts the agent
// (Start); the agent unlocks the vault in its own memory and answers on a
// Unix socket (Listen, Server). Every other command asks it first
// (Client): the Client is an age.Identity, so the vault opens with it as
// with any identity, and falls back to the passphrase when no agent runs
// or the agent refuses.
//
// # What crosses the socket, and why that is the minimum
//
// age encrypts each file with its own random 16-byte file key and wraps
// that key for each recipient in a stanza in the file's header. Opening
// a file needs the identity only to unwrap one stanza; everything after
// that needs only the file key. So a client sends the agent:
//
//   - the protocol version and the vault home it means, so an agent of
//     another home or build refuses instead of guessing;
//   - for each file it opens, that file's recipient stanzas (type,
//     arguments, body), which are in the file on disk and not secret;
//   - when the identity asks a question while it unwraps (an SSH key's
//     passphrase, a YubiKey PIN through an age plugin), the user's answer,
//     because the agent has no terminal.
//
// and the agent sends back:
//
//   - the key of that one file, which decrypts that file and nothing
//     else, and which the client needs to decrypt it at all;
//   - a status: the vault's public recipient (encrypting needs only that,
//     so saves never involve the agent), its timeouts, whether its memory
//     is locked, and counters of served and refused requests;
//   - refusals with a code and a reason, and the identity's questions.
//
// The identity, the passphrase, the API keys and every plaintext never
// cross it. The client decrypts the file itself, so the agent never sees
// a vault's content either. Less is not possible: without the file key
// the client cannot decrypt, and anything more would be the identity or
// the plaintext. The passphrase goes once, from "vaultchat unlock" to the
// starting agent, over a socket pair private to the two processes.
//
// # Wire format
//
// Each message is a 4-byte big-endian length and that many bytes of JSON
// (Request from client to agent, Response back), at most MaxMessageSize.
// A connection carries one request, then any prompts and their answers,
// then one reply. The decoder (ReadRequest) bounds every field and
// refuses unknown ones.
//
// # Protection
//
// The socket is in $XDG_RUNTIME_DIR/vaultchat (else $TMPDIR or /tmp,
// vaultchat-UID), a directory of mode 0700 that must be the user's and not
// a symbolic link; the socket is 0600. On every connection the agent reads
// the client's uid from the kernel (SO_PEERCRED) and serves only its own
// user; the client checks the agent's uid the same way. The agent serves
// one home, named in every request. It is not dumpable (no core file; the
// user's other processes cannot ptrace it or read its memory), locks its
// memory out of swap where the system allows, runs with no environment
// but PATH, in a session of its own with its standard streams on
// /dev/null, and writes nothing but its socket. It forgets the identity
// and exits after its idle time or maximum lifetime, on "vaultchat lock",
// on SIGTERM, SIGHUP or SIGINT, when identity.age changes (vaultchat
// passwd), and when its socket is removed.
//
// Like ssh-agent, it does not protect against root, against a debugger
// attached before it made itself non-dumpable, nor against the user's own
// processes asking it for file keys: any program running as the user can
// decrypt the vault while the agent runs.
package agent
