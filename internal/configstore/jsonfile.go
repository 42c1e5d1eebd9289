package configstore

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/tailscale/hujson"
)

// Limits on one appsettings file read by [Load]. .NET's JSON reader
// stops at 64 levels of nesting too (System.Text.Json's default MaxDepth)
// and has no other limit; these bound what a file that is not a
// configuration file, or an attack, can cost: a file over a limit is
// rejected before it is parsed, and reading a file within the limits takes
// memory proportional to its size.
const (
	// MaxConfigFileBytes is the largest appsettings file read (16 MiB).
	MaxConfigFileBytes = 16 << 20
	// MaxConfigFileValues is the most values (scalars, objects and arrays)
	// one file may hold.
	MaxConfigFileValues = 100_000
	// MaxConfigDepth is the deepest nesting of objects and arrays.
	MaxConfigDepth = 64
	// MaxConfigKeyBytes bounds the bytes of all the keys one file, or one
	// call of [FromValues], produces, each counted with its
	// full path ("a:b:0"): as many as a file may hold. Only nesting can
	// exceed it, since every value repeats the keys of the objects around
	// it: 60 levels of 250-byte keys around an array of 99,001 numbers is
	// a 213 KB file whose keys would take 1.5 GB.
	MaxConfigKeyBytes = MaxConfigFileBytes
)

// keyBudget counts the bytes of flattened keys against MaxConfigKeyBytes.
type keyBudget int

// join returns prefix:name, or false when it would take the keys past
// MaxConfigKeyBytes; it counts the bytes before it builds the key.
func (b *keyBudget) join(prefix, name string) (string, bool) {
	*b += keyBudget(len(prefix) + 1 + len(name))
	if *b > MaxConfigKeyBytes {
		return "", false
	}
	return joinKey(prefix, name), true
}

// keyBudgetMsg says why a key over the budget is rejected.
var keyBudgetMsg = fmt.Sprintf("the keys of the values, each with its full path (\"a:b:0\"), add up to more than %d bytes (%d MiB): nested objects repeat every enclosing key for each value",
	MaxConfigKeyBytes, MaxConfigKeyBytes>>20)

// readConfigFile reads a configuration file of at most MaxConfigFileBytes.
// A missing file is an error matching fs.ErrNotExist.
func readConfigFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("settings: reading configuration file: %w", err)
	}
	defer f.Close()
	size := int64(512)
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		size = st.Size()
	}
	if size > MaxConfigFileBytes {
		return nil, tooLargeError(path, size)
	}
	buf := bytes.NewBuffer(make([]byte, 0, size+1))
	n, err := buf.ReadFrom(io.LimitReader(f, MaxConfigFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("settings: reading configuration file: %w", err)
	}
	if n > MaxConfigFileBytes { // grew while being read, or not a regular file
		return nil, tooLargeError(path, n)
	}
	return buf.Bytes(), nil
}

func tooLargeError(path string, size int64) error {
	return &FileError{File: path, Msg: fmt.Sprintf(
		"the file has %d bytes, more than the %d (%d MiB) a configuration file may have",
		size, MaxConfigFileBytes, MaxConfigFileBytes>>20)}
}

// keyValue is one flattened JSON value.
type keyValue struct{ key, value string }

// jsonParser flattens a HuJSON (JSON with comments and trailing commas)
// document the way .NET's JsonConfigurationFileParser does.
type jsonParser struct {
	file string
	data []byte            // UTF-8, after any byte-order mark
	seen map[string]string // lower-case key → key as written
	out  []keyValue
	keys keyBudget
}

// parseJSONConfig flattens an appsettings file. Errors name the file and a
// line:column.
func parseJSONConfig(file string, raw []byte) ([]keyValue, error) {
	data, err := decodeText(raw)
	if err != nil {
		return nil, &FileError{File: file, Msg: err.Error()}
	}
	p := &jsonParser{file: file, data: data}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, p.errorAt(0, "the file is empty; a configuration file holds a JSON object", nil)
	}
	// Bounds first, so that the parser never builds a tree larger than
	// MaxConfigFileValues nor recurses deeper than MaxConfigDepth.
	if err := p.checkLimits(); err != nil {
		return nil, err
	}
	root, err := hujson.Parse(data)
	if err != nil {
		if root.Value == nil && errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, p.errorAt(0, "the file holds only comments; a configuration file holds a JSON object", err)
		}
		return nil, p.parseError(err)
	}
	obj, ok := root.Value.(*hujson.Object)
	if !ok {
		return nil, p.errorAt(root.StartOffset, "the top-level JSON element must be an object", nil)
	}
	p.seen = make(map[string]string)
	p.out = make([]keyValue, 0, len(obj.Members))
	if err := p.object("", obj); err != nil {
		return nil, err
	}
	return p.out, nil
}

func (p *jsonParser) object(prefix string, obj *hujson.Object) error {
	for i := range obj.Members {
		m := &obj.Members[i]
		name := literalString(m.Name.Value.(hujson.Literal)) // the parser admits only strings here
		key, ok := p.keys.join(prefix, name)
		if !ok {
			return p.errorAt(m.Name.StartOffset, keyBudgetMsg, nil)
		}
		if err := p.value(key, &m.Value, m.Name.StartOffset); err != nil {
			return err
		}
	}
	return nil
}

// value flattens v under key; keyOff is where the key (or array element)
// starts, for error messages.
func (p *jsonParser) value(key string, v *hujson.Value, keyOff int) error {
	var s string
	switch x := v.Value.(type) {
	case *hujson.Object:
		return p.object(key, x)
	case *hujson.Array:
		for i := range x.Elements {
			e := &x.Elements[i]
			ekey, ok := p.keys.join(key, strconv.Itoa(i))
			if !ok {
				return p.errorAt(e.StartOffset, keyBudgetMsg, nil)
			}
			if err := p.value(ekey, e, e.StartOffset); err != nil {
				return err
			}
		}
		return nil
	case hujson.Literal:
		switch x.Kind() {
		case 'n':
			s = ""
		case '"':
			s = literalString(x)
		default: // true, false and numbers as written
			s = string(x)
		}
	}
	lk := strings.ToLower(key)
	if old, dup := p.seen[lk]; dup {
		return p.errorAt(keyOff, fmt.Sprintf("duplicate key %q (also %q); keys are case-insensitive", key, old), nil)
	}
	p.seen[lk] = key
	p.out = append(p.out, keyValue{key: key, value: s})
	return nil
}

// literalString returns the value of a JSON string literal.
func literalString(lit hujson.Literal) string {
	if len(lit) >= 2 && bytes.IndexByte(lit, '\\') < 0 && utf8.Valid(lit) {
		return string(lit[1 : len(lit)-1])
	}
	return lit.String()
}

// checkLimits rejects a document nested deeper than MaxConfigDepth or
// holding more than MaxConfigFileValues values. It only counts: every
// value but the first follows a '{', '[' or ',' outside strings and
// comments. Syntax errors are left to the parser.
func (p *jsonParser) checkLimits() error {
	data := p.data
	depth, values := 0, 1
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '"':
			for i++; i < len(data) && data[i] != '"'; i++ {
				if data[i] == '\\' {
					i++
				}
			}
		case '/':
			if i+1 < len(data) && data[i+1] == '/' {
				end := bytes.IndexByte(data[i:], '\n')
				if end < 0 {
					return nil
				}
				i += end
			} else if i+1 < len(data) && data[i+1] == '*' {
				end := bytes.Index(data[i+2:], []byte("*/"))
				if end < 0 {
					return nil
				}
				i += 2 + end + 1
			}
		case '{', '[':
			if depth++; depth > MaxConfigDepth {
				return p.errorAt(i, fmt.Sprintf("objects and arrays nested more than %d levels deep (.NET's JSON reader stops there too)", MaxConfigDepth), nil)
			}
			values++
		case '}', ']':
			depth--
		case ',':
			values++
		default:
			continue
		}
		if values > MaxConfigFileValues {
			return p.errorAt(i, fmt.Sprintf("more than %d values; a configuration file may hold at most %d", MaxConfigFileValues, MaxConfigFileValues), nil)
		}
	}
	return nil
}

// hujsonPos matches the position hujson.Parse puts first in its errors
// (its column counts bytes).
var hujsonPos = regexp.MustCompile(`^hujson: line (\d+), column (\d+): `)

// parseError turns a hujson.Parse error into a FileError at the same
// place, with the column counted in characters.
func (p *jsonParser) parseError(err error) error {
	msg := err.Error()
	m := hujsonPos.FindStringSubmatchIndex(msg)
	if m == nil {
		return p.errorAt(0, msg, err)
	}
	line, _ := strconv.Atoi(msg[m[2]:m[3]])
	col, _ := strconv.Atoi(msg[m[4]:m[5]])
	off := 0
	for l := 1; l < line; l++ {
		nl := bytes.IndexByte(p.data[off:], '\n')
		if nl < 0 {
			break
		}
		off += nl + 1
	}
	off += col - 1
	detail := msg[m[1]:]
	// hujson quotes a bad literal whole; it may be a password (a string
	// with a bad escape, an unquoted value): describe it instead.
	if strings.HasPrefix(detail, "invalid literal") {
		detail = "invalid value: not a string, number, true, false or null"
		if off < len(p.data) && p.data[off] == '"' {
			detail = "invalid string: a bad escape sequence or a control character"
		}
		err = errors.New(detail)
	}
	return p.errorAt(off, detail, err)
}

func (p *jsonParser) errorAt(off int, msg string, cause error) error {
	return fileErrorAt(p.file, p.data, int64(off), msg, cause)
}

// decodeText returns data as UTF-8 without a byte-order mark. Like .NET's
// StreamReader, it reads UTF-8, UTF-16 and UTF-32 (little- and big-endian)
// when a byte-order mark says so, and UTF-8 otherwise.
func decodeText(data []byte) ([]byte, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xef, 0xbb, 0xbf}):
		return data[3:], nil
	case bytes.HasPrefix(data, []byte{0xff, 0xfe, 0, 0}):
		return decodeUTF32(data[4:], false)
	case bytes.HasPrefix(data, []byte{0, 0, 0xfe, 0xff}):
		return decodeUTF32(data[4:], true)
	case bytes.HasPrefix(data, []byte{0xff, 0xfe}):
		return decodeUTF16(data[2:], false)
	case bytes.HasPrefix(data, []byte{0xfe, 0xff}):
		return decodeUTF16(data[2:], true)
	}
	return data, nil
}

// decodeUTF16 decodes UTF-16 text; an unpaired surrogate becomes U+FFFD,
// as in .NET.
func decodeUTF16(b []byte, bigEndian bool) ([]byte, error) {
	if len(b)%2 != 0 {
		return nil, fmt.Errorf("the file starts with a UTF-16 byte-order mark but has an odd number of bytes (%d) after it", len(b))
	}
	out := make([]byte, 0, len(b)+len(b)/2)
	unit := func(i int) uint16 {
		if bigEndian {
			return uint16(b[i])<<8 | uint16(b[i+1])
		}
		return uint16(b[i]) | uint16(b[i+1])<<8
	}
	for i := 0; i < len(b); i += 2 {
		r := rune(unit(i))
		if utf16.IsSurrogate(r) {
			r = utf8.RuneError
			if i+3 < len(b) {
				if pair := utf16.DecodeRune(rune(unit(i)), rune(unit(i+2))); pair != utf8.RuneError {
					r = pair
					i += 2
				}
			}
		}
		out = utf8.AppendRune(out, r)
	}
	return out, nil
}

// decodeUTF32 decodes UTF-32 text; an invalid code point becomes U+FFFD.
func decodeUTF32(b []byte, bigEndian bool) ([]byte, error) {
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("the file starts with a UTF-32 byte-order mark but has %d bytes after it, not a multiple of 4", len(b))
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i += 4 {
		var u uint32
		if bigEndian {
			u = uint32(b[i])<<24 | uint32(b[i+1])<<16 | uint32(b[i+2])<<8 | uint32(b[i+3])
		} else {
			u = uint32(b[i]) | uint32(b[i+1])<<8 | uint32(b[i+2])<<16 | uint32(b[i+3])<<24
		}
		r := rune(u)
		if u > utf8.MaxRune || !utf8.ValidRune(r) {
			r = utf8.RuneError
		}
		out = utf8.AppendRune(out, r)
	}
	return out, nil
}

// FileError reports a malformed or oversized configuration file.
type FileError struct {
	// File is the path of the file as opened.
	File string
	// Line and Column (1-based; the column counts characters) locate the
	// problem; both are 0 when it concerns the whole file (its size, its
	// encoding).
	Line, Column int
	// Msg describes the problem.
	Msg string
	// Err is the underlying error, if any (e.g. from the JSON parser).
	Err error
}

// Error returns "settings: FILE:LINE:COL: MSG", or "settings: FILE: MSG"
// when the problem has no position.
func (e *FileError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("settings: %s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("settings: %s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
}

// Unwrap returns the underlying error.
func (e *FileError) Unwrap() error { return e.Err }

func fileErrorAt(file string, data []byte, off int64, msg string, cause error) error {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line := 1 + bytes.Count(before, []byte("\n"))
	lineStart := bytes.LastIndexByte(before, '\n') + 1
	col := 1 + utf8.RuneCount(before[lineStart:])
	return &FileError{File: file, Line: line, Column: col, Msg: msg, Err: cause}
}
