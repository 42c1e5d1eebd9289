package configstore

import "testing"

func TestDecodeUTF16UnpairedSurrogate(t *testing.T) {
	// A lone high surrogate, then 'a'; then a lone low surrogate.
	got, err := decodeUTF16([]byte{0x00, 0xd8, 'a', 0, 0x00, 0xdc}, false)
	if err != nil || string(got) != "\ufffda\ufffd" {
		t.Errorf("decodeUTF16 = %q, %v; want %q", got, err, "\ufffda\ufffd")
	}
}
