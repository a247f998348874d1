package spapi

import "strings"

// escapePathSegment percent-encodes one path segment, such as a seller id or
// a SKU, so that it reaches Amazon as a single segment with its exact bytes:
// "HC/BRUSH#2 PINK" becomes "HC%2FBRUSH%232%20PINK".
//
// It encodes every byte outside RFC 3986's unreserved set (letters, digits,
// "-", ".", "_" and "~"). That is url.PathEscape plus the sub-delimiters
// url.PathEscape leaves as they are, such as "&", "+", "=" and "@". Sellers
// have reported SKUs with "&" failing when sent raw, some servers decode a
// raw "+" as a space, and the encoded forms decode to the same bytes on any
// server.
func escapePathSegment(segment string) string {
	const hex = "0123456789ABCDEF"

	var b strings.Builder
	for i := 0; i < len(segment); i++ {
		c := segment[i]
		if isUnreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0x0F])
	}
	return b.String()
}

func isUnreserved(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	case c == '-' || c == '.' || c == '_' || c == '~':
		return true
	}
	return false
}
