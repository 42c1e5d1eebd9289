package distcache

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unicode/utf8"
)

// The payload HybridCache keeps in the data field of its second-level
// entries (HybridCachePayload.cs, format v1):
//
//	2 bytes   sentinel 0x03 and version 0x01 (little-endian uint16 0x0103)
//	2 bytes   entropy, random (little-endian uint16)
//	8 bytes   creation time, UTC ticks (little-endian int64)
//	varint    flags (none defined)
//	varint    payload length
//	varint    duration, ticks after the creation time
//	varint    tag count
//	varint+utf8  key
//	varint+utf8  each tag
//	payload
//	2 bytes   sentinel and version again
//
// and nothing after it. A varint is .NET's 7-bit encoded integer
// (BinaryWriter.Write7BitEncodedInt64): 7 bits a byte, low bits first, the
// high bit set on every byte but the last, at most 10 bytes.
const (
	payloadSentinel  = 0x03
	payloadVersion   = 0x01
	payloadMarker    = uint16(payloadVersion)<<8 | payloadSentinel
	payloadFixedSize = 12 // marker, entropy, creation time
	payloadMinSize   = 19 // .NET's shortest: empty key and value, no tags
	maxVarintLen     = 10
)

// payload is one HybridCache second-level entry, decoded.
type payload struct {
	entropy  uint16
	creation int64  // UTC ticks
	flags    uint64 // HybridCachePayload.PayloadFlags; none are defined
	duration uint64 // ticks after creation
	key      string
	tags     []string
	value    []byte
}

// errPayloadFormat is a data field that does not start like a
// HybridCache payload (.NET's FormatNotRecognized).
var errPayloadFormat = errors.New("not a HybridCache payload (no 0x03 0x01 header)")

// parsePayload decodes b. Every length is checked against the bytes left
// before anything is allocated, so a hostile entry costs at most its own
// size; it returns an error for anything .NET's TryParse rejects as
// FormatNotRecognized, InvalidData or ParseFault, and for keys and tags
// that are not UTF-8 (.NET would decode them to U+FFFD).
func parsePayload(b []byte) (payload, error) {
	var p payload
	if len(b) < payloadMinSize || binary.LittleEndian.Uint16(b) != payloadMarker {
		return p, errPayloadFormat
	}
	p.entropy = binary.LittleEndian.Uint16(b[2:])
	p.creation = int64(binary.LittleEndian.Uint64(b[4:]))
	r := b[payloadFixedSize:]
	var err error
	if p.flags, r, err = readVarint(r, "flags"); err != nil {
		return p, err
	}
	n, r, err := readVarint(r, "payload length")
	if err != nil {
		return p, err
	}
	if n > math.MaxInt32 {
		return p, fmt.Errorf("payload length %d is over .NET's limit of %d", n, math.MaxInt32)
	}
	valueLen := int(n)
	if p.duration, r, err = readVarint(r, "duration"); err != nil {
		return p, err
	}
	count, r, err := readVarint(r, "tag count")
	if err != nil {
		return p, err
	}
	if count > math.MaxInt32 {
		return p, fmt.Errorf("tag count %d is over .NET's limit of %d", count, math.MaxInt32)
	}
	if p.key, r, err = readString(r, "key"); err != nil {
		return p, err
	}
	for i := uint64(0); i < count; i++ {
		var tag string
		if tag, r, err = readString(r, fmt.Sprintf("tag %d of %d", i+1, count)); err != nil {
			return p, err
		}
		p.tags = append(p.tags, tag)
	}
	if len(r) != valueLen+2 {
		return p, fmt.Errorf("the payload is %d bytes, the header says %d (with the 2-byte trailer)", len(r), valueLen+2)
	}
	if binary.LittleEndian.Uint16(r[valueLen:]) != payloadMarker {
		return p, errors.New("the trailing 0x03 0x01 marker is missing")
	}
	p.value = r[:valueLen:valueLen]
	return p, nil
}

// readVarint reads one 7-bit encoded uint64 as .NET's
// TryRead7BitEncodedInt64 does: at most 10 bytes, the 10th holding one
// bit.
func readVarint(b []byte, what string) (uint64, []byte, error) {
	var v uint64
	for i := 0; i < maxVarintLen; i++ {
		if i >= len(b) {
			return 0, nil, fmt.Errorf("truncated in the %s", what)
		}
		c := b[i]
		if i == maxVarintLen-1 {
			if c > 1 {
				return 0, nil, fmt.Errorf("the %s overflows 64 bits", what)
			}
			return v | uint64(c)<<63, b[i+1:], nil
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return v, b[i+1:], nil
		}
	}
	panic("unreachable")
}

// readString reads a varint length and that many bytes of UTF-8.
func readString(b []byte, what string) (string, []byte, error) {
	n, b, err := readVarint(b, what+" length")
	if err != nil {
		return "", nil, err
	}
	if n > uint64(len(b)) {
		return "", nil, fmt.Errorf("the %s is %d bytes, only %d are left", what, n, len(b))
	}
	s := b[:n]
	if !utf8.Valid(s) {
		return "", nil, fmt.Errorf("the %s is not UTF-8", what)
	}
	return string(s), b[n:], nil
}

// appendVarint is .NET's Write7BitEncodedInt64.
func appendVarint(b []byte, v uint64) []byte {
	for v > 0x7f {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// appendPayload encodes p as .NET's HybridCachePayload.Write does.
func appendPayload(b []byte, p payload) []byte {
	b = binary.LittleEndian.AppendUint16(b, payloadMarker)
	b = binary.LittleEndian.AppendUint16(b, p.entropy)
	b = binary.LittleEndian.AppendUint64(b, uint64(p.creation))
	b = appendVarint(b, p.flags)
	b = appendVarint(b, uint64(len(p.value)))
	b = appendVarint(b, p.duration)
	b = appendVarint(b, uint64(len(p.tags)))
	b = appendVarint(b, uint64(len(p.key)))
	b = append(b, p.key...)
	for _, t := range p.tags {
		b = appendVarint(b, uint64(len(t)))
		b = append(b, t...)
	}
	b = append(b, p.value...)
	return binary.LittleEndian.AppendUint16(b, payloadMarker)
}

// payloadSize is the encoded size of p.
func payloadSize(p payload) int {
	n := payloadFixedSize + varintLen(p.flags) + varintLen(uint64(len(p.value))) + varintLen(p.duration) +
		varintLen(uint64(len(p.tags))) + varintLen(uint64(len(p.key))) + len(p.key) + len(p.value) + 2
	for _, t := range p.tags {
		n += varintLen(uint64(len(t))) + len(t)
	}
	return n
}

func varintLen(v uint64) int {
	n := 1
	for v > 0x7f {
		v >>= 7
		n++
	}
	return n
}
