package testserver

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// SlotCount is the number of hash slots in a Redis cluster.
const SlotCount = 16384

// crc16Table is CRC-16/XMODEM (polynomial 0x1021), the key hash of Redis
// Cluster.
var crc16Table = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()

func crc16(s string) uint16 {
	var c uint16
	for i := 0; i < len(s); i++ {
		c = c<<8 ^ crc16Table[byte(c>>8)^s[i]]
	}
	return c
}

// Slot returns the cluster hash slot of key, honouring hash tags: only the
// part between the first "{" and the next "}" is hashed when it is not
// empty.
func Slot(key string) int {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	return int(crc16(key) % SlotCount)
}

var (
	hashTagsOnce sync.Once
	hashTags     [SlotCount]string
)

// HashTag returns a hash tag, such as "{1234}", that maps every key
// containing it to slot: "user:"+HashTag(7) is in slot 7. It panics when
// slot is not in [0, SlotCount), as indexing would.
func HashTag(slot int) string {
	if slot < 0 || slot >= SlotCount {
		panic(fmt.Sprintf("testserver.HashTag: slot %d out of range [0, %d)", slot, SlotCount))
	}
	hashTagsOnce.Do(func() {
		left := SlotCount
		for i := 0; left > 0; i++ {
			tag := strconv.Itoa(i)
			if s := crc16(tag) % SlotCount; hashTags[s] == "" {
				hashTags[s] = "{" + tag + "}"
				left--
			}
		}
	})
	return hashTags[slot]
}
