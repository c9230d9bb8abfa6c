package session

import (
	"encoding/binary"
	"errors"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/filelock"
	"github.com/vaultchat/vaultchat/internal/textmatch"
)

// The search index (store.ReadSearchIndex) keeps what a search derives
// from each conversation, with the version of the file it came from, so
// that the first search of a process decrypts one file instead of every
// conversation. It is a cache, encrypted like the conversations: a file
// whose version changed is read again, a damaged index is ignored, and a
// deletion removes it (the store does).
//
// The format is a header and length-prefixed fields, not JSON: decoding
// it is slicing one string, which is what makes the index pay for itself
// (JSON decoding costs about as much as decrypting the conversations).

const searchIndexMagic = "vaultchat-search-index 1\n"

// encodeSearchIndex writes docs in the index format.
func encodeSearchIndex(docs []*searchDoc) []byte {
	n := len(searchIndexMagic) + 16
	for _, d := range docs {
		n += 64 + len(d.id) + len(d.title)
		for _, m := range d.msgs {
			n += 16 + len(m.id) + len(m.role) + len(m.text)
		}
	}
	b := make([]byte, 0, n)
	b = append(b, searchIndexMagic...)
	b = binary.AppendUvarint(b, uint64(len(docs)))
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	for _, d := range docs {
		str(d.id)
		b = binary.AppendVarint(b, d.version.Size)
		b = binary.AppendVarint(b, d.version.MTime)
		b = binary.AppendVarint(b, d.updated.UnixNano())
		str(d.title)
		b = binary.AppendUvarint(b, uint64(len(d.keyIDs)))
		for _, k := range d.keyIDs {
			str(k)
		}
		b = binary.AppendUvarint(b, uint64(len(d.msgs)))
		for _, m := range d.msgs {
			b = binary.AppendUvarint(b, uint64(m.number))
			str(m.id)
			str(string(m.role))
			str(m.text)
		}
	}
	return b
}

var errBadIndex = errors.New("damaged search index")

// decodeSearchIndex reads what encodeSearchIndex wrote, by conversation
// ID. Strings are slices of one copy of data.
func decodeSearchIndex(data []byte) (map[string]*searchDoc, error) {
	s := string(data)
	r := &indexReader{s: s}
	if len(s) < len(searchIndexMagic) || s[:len(searchIndexMagic)] != searchIndexMagic {
		return nil, errBadIndex
	}
	r.at = len(searchIndexMagic)
	count := r.uvarint()
	out := make(map[string]*searchDoc, min(count, 1<<20))
	for range count {
		d := &searchDoc{id: r.str()}
		d.version = filelock.Version{Size: r.varint(), MTime: r.varint()}
		d.updated = time.Unix(0, r.varint()).UTC()
		d.title = r.str()
		d.titleFold = textmatch.Fold(d.title)
		for range r.uvarint() {
			d.keyIDs = append(d.keyIDs, r.str())
		}
		nm := r.uvarint()
		if r.err != nil || nm > uint64(len(s)) {
			return nil, errBadIndex
		}
		d.msgs = make([]searchMsg, 0, nm)
		for range nm {
			m := searchMsg{number: int(r.uvarint()), id: r.str(), role: chat.Role(r.str()), text: r.str()}
			m.fold = textmatch.Fold(m.text)
			d.msgs = append(d.msgs, m)
		}
		if r.err != nil {
			return nil, r.err
		}
		out[d.id] = d
	}
	return out, r.err
}

// indexReader reads the index format; the first problem sticks in err.
type indexReader struct {
	s   string
	at  int
	err error
}

func (r *indexReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint([]byte(r.s[r.at:min(r.at+binary.MaxVarintLen64, len(r.s))]))
	if n <= 0 {
		r.err = errBadIndex
		return 0
	}
	r.at += n
	return v
}

func (r *indexReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint([]byte(r.s[r.at:min(r.at+binary.MaxVarintLen64, len(r.s))]))
	if n <= 0 {
		r.err = errBadIndex
		return 0
	}
	r.at += n
	return v
}

func (r *indexReader) str() string {
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.s)-r.at) {
		r.err = errBadIndex
		return ""
	}
	s := r.s[r.at : r.at+int(n)]
	r.at += int(n)
	return s
}
