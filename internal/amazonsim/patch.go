package amazonsim

import (
	"bytes"
	"encoding/json"
	"reflect"
)

// patchOperation is one validated entry of a patchListingsItem body.
type patchOperation struct {
	op   string
	name string // the attribute name from the path /attributes/<name>
	// value is the raw JSON array; entries is the same array decoded.
	value   json.RawMessage
	entries []map[string]any
	// marketplaceIDs are the request's marketplaces, which scope replace.
	marketplaceIDs []string
}

// selectorKeys are the fields that identify one entry of an attribute array,
// such as the offer of one marketplace or the stock of one channel. merge,
// add and delete match entries by the selectors the patch entry carries.
var selectorKeys = []string{"marketplace_id", "language_tag", "audience", "fulfillment_channel_code"}

// applyPatches returns a copy of attributes with patches applied the way
// Amazon applies them. replace swaps the attribute's entries for the
// request's marketplaces, so sibling fields the patch does not resend are
// lost. Entries of other marketplaces stay, because a request acts only on
// the marketplaces it names. merge updates the fields of the
// entries with the same selectors. add replaces or appends entries. delete
// removes the entries matching the given selectors, or the whole attribute
// when no value is given.
func applyPatches(attributes map[string]json.RawMessage, patches []patchOperation) map[string]json.RawMessage {
	result := make(map[string]json.RawMessage, len(attributes))
	for name, value := range attributes {
		result[name] = value
	}

	for _, patch := range patches {
		switch patch.op {
		case "replace":
			result[patch.name] = replaceEntries(result[patch.name], patch)
		case "add":
			result[patch.name] = encodeEntries(addEntries(decodeEntries(result[patch.name]), patch.entries))
		case "merge":
			result[patch.name] = encodeEntries(mergeEntries(decodeEntries(result[patch.name]), patch.entries))
		case "delete":
			remaining := deleteEntries(decodeEntries(result[patch.name]), patch.entries)
			if len(patch.entries) == 0 || len(remaining) == 0 {
				delete(result, patch.name)
				continue
			}
			result[patch.name] = encodeEntries(remaining)
		}
	}
	return result
}

// replaceEntries returns the attribute with the entries of the patch's
// marketplaces replaced by the patch value. Entries without a
// marketplace_id belong to every marketplace and are replaced too.
// NOTE: Amazon documents that replace swaps the whole attribute, but not
// whether entries of marketplaces outside the request survive. Keeping them
// matches getListingsItem, which returns only the requested marketplaces.
func replaceEntries(existing json.RawMessage, patch patchOperation) json.RawMessage {
	if len(patch.marketplaceIDs) == 0 {
		return patch.value
	}
	var kept []map[string]any
	for _, entry := range decodeEntries(existing) {
		id, ok := entry["marketplace_id"].(string)
		if ok && !contains(patch.marketplaceIDs, id) {
			kept = append(kept, entry)
		}
	}
	if len(kept) == 0 {
		return patch.value
	}
	return encodeEntries(append(kept, patch.entries...))
}

func addEntries(existing, added []map[string]any) []map[string]any {
	for _, entry := range added {
		replaced := false
		for i := range existing {
			if sameSelectors(existing[i], entry) {
				existing[i] = entry
				replaced = true
				break
			}
		}
		if !replaced {
			existing = append(existing, entry)
		}
	}
	return existing
}

func mergeEntries(existing, merged []map[string]any) []map[string]any {
	for _, entry := range merged {
		matched := false
		for i := range existing {
			if !sameSelectors(existing[i], entry) {
				continue
			}
			matched = true
			for key, value := range entry {
				existing[i][key] = value
			}
		}
		if !matched {
			existing = append(existing, entry)
		}
	}
	return existing
}

func deleteEntries(existing, deleted []map[string]any) []map[string]any {
	var kept []map[string]any
	for _, entry := range existing {
		remove := false
		for _, target := range deleted {
			if sameSelectors(entry, target) {
				remove = true
				break
			}
		}
		if !remove {
			kept = append(kept, entry)
		}
	}
	return kept
}

// sameSelectors reports whether existing has the selector values that
// patch names. A patch entry without selectors matches every entry.
func sameSelectors(existing, patch map[string]any) bool {
	for _, key := range selectorKeys {
		want, ok := patch[key]
		if !ok {
			continue
		}
		if !reflect.DeepEqual(existing[key], want) {
			return false
		}
	}
	return true
}

// decodeEntries decodes an attribute array, keeping numbers exact. A value
// that is not an array of objects decodes to nil.
func decodeEntries(raw json.RawMessage) []map[string]any {
	if len(raw) == 0 {
		return nil
	}
	decoder := json.NewDecoder(bytes.NewReader(raw))
	decoder.UseNumber()
	var entries []map[string]any
	if err := decoder.Decode(&entries); err != nil {
		return nil
	}
	return entries
}

func encodeEntries(entries []map[string]any) json.RawMessage {
	if entries == nil {
		entries = []map[string]any{}
	}
	encoded, err := json.Marshal(entries)
	if err != nil {
		// The entries came from decoded JSON, so they always encode.
		panic("amazonsim: encode attribute entries: " + err.Error())
	}
	return encoded
}
