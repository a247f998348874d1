package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/noterp/noterp/internal/policy"
	"github.com/noterp/noterp/internal/store"
	"github.com/noterp/noterp/workflows"
)

// kindFlag defines -kind on fs.
func kindFlag(fs *flag.FlagSet) *string {
	return fs.String("kind", workflows.KindListingPriceSet, "the action kind the policy governs: "+strings.Join(knownKinds, ", "))
}

func checkKind(kind string) error {
	if !slices.Contains(knownKinds, kind) {
		return usageErrorf("-kind %q is unknown: use %s", kind, strings.Join(knownKinds, ", "))
	}
	return nil
}

// adminPolicySet validates a policy file and stores it as the tenant's next
// policy version for the kind, then prints the stored policy. A file with a
// version field is stored only if that version is still the current one, so
// that two admins editing at once do not overwrite each other's change.
func adminPolicySet(ctx context.Context, s *adminSession, fs *flag.FlagSet, args []string) error {
	tenant := tenantFlag(fs)
	kind := kindFlag(fs)
	file := fs.String("file", "", "the policy JSON file, or - for stdin, such as -file policy.json (`noterp admin policy show` prints one to start from). "+
		"Its version must be the current version, which policy show prints; leave version out to store the file whatever the current version is")
	if err := parseAdminFlags(fs, args, "tenant", "kind", "file"); err != nil {
		return err
	}
	if err := checkTenant(*tenant); err != nil {
		return err
	}
	if err := checkKind(*kind); err != nil {
		return err
	}

	edited, err := readPolicyFile(*file, s.in, *tenant, *kind)
	if err != nil {
		return err
	}

	st, err := s.openTenantStore(ctx, *tenant)
	if err != nil {
		return err
	}
	defer st.Close()

	var stored policy.Policy
	if edited.hasBaseVersion {
		// The conditional write stores the file only if no version after
		// its base exists, so a concurrent edit is never overwritten.
		stored, err = st.PutPolicyAfter(ctx, edited.policy, edited.baseVersion)
		if errors.Is(err, store.ErrPolicyVersionTaken) {
			current, lookupErr := st.StoredPolicyVersion(ctx, *tenant, *kind)
			if lookupErr != nil {
				return withMigrateHint(lookupErr)
			}
			if stale := checkPolicyBaseVersion(edited.baseVersion, current, *tenant, *kind); stale != nil {
				return stale
			}
			return err
		}
	} else {
		stored, err = st.PutPolicy(ctx, edited.policy)
	}
	if err != nil {
		return withMigrateHint(err)
	}
	s.recordAudit(ctx, st, *tenant, "policy.stored", map[string]any{"kind": stored.Kind, "version": stored.Version})

	return printJSON(s.out, stored)
}

// checkPolicyBaseVersion returns an error unless a file edited from version
// base may be stored over current, the newest stored version. Version 0
// is the default policy, which is not stored.
func checkPolicyBaseVersion(base, current int, tenant, kind string) error {
	if base == current {
		return nil
	}

	rerun := fmt.Sprintf("run `noterp admin policy show -tenant %s -kind %s` again and reapply your change", tenant, kind)
	switch {
	case base == 0:
		return fmt.Errorf("the file was edited from the default policy but the policy of tenant %s for %s is at version %d: %s", tenant, kind, current, rerun)
	case current == 0:
		return fmt.Errorf("the file was edited from version %d but tenant %s has stored no policy for %s yet: %s", base, tenant, kind, rerun)
	default:
		return fmt.Errorf("the file was edited from version %d but the policy of tenant %s for %s is at version %d: %s", base, tenant, kind, current, rerun)
	}
}

// policyFile is a validated policy read from a file.
type policyFile struct {
	// policy has the tenant and kind of the flags and version 0, because
	// storing assigns the next version.
	policy policy.Policy
	// baseVersion is the file's version field: the version that the file
	// was edited from, or 0 for the default policy. hasBaseVersion is false
	// when the file has no version field.
	baseVersion    int
	hasBaseVersion bool
}

// readPolicyFile reads and validates the policy in file ("-" is in) for
// tenant and kind. The file may leave out tenant and kind; if it names them,
// they must match the flags.
func readPolicyFile(file string, in io.Reader, tenant, kind string) (policyFile, error) {
	source := "file " + file
	var data []byte
	var err error
	if file == "-" {
		source = "stdin"
		data, err = io.ReadAll(io.LimitReader(in, maxInputBytes))
	} else {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		return policyFile{}, usageErrorf("-file: read the policy from %s: %w", source, err)
	}

	p, fields, err := decodePolicy(data)
	if err != nil {
		return policyFile{}, usageErrorf("-file: the policy in %s is invalid: %w", source, err)
	}
	if p.Tenant != "" && p.Tenant != tenant {
		return policyFile{}, usageErrorf("-file: the policy in %s names tenant %q, but -tenant is %q: make them match or remove tenant from the policy", source, p.Tenant, tenant)
	}
	if p.Kind != "" && p.Kind != kind {
		return policyFile{}, usageErrorf("-file: the policy in %s names kind %q, but -kind is %q: make them match or remove kind from the policy", source, p.Kind, kind)
	}
	if p.Version < 0 {
		return policyFile{}, usageErrorf("-file: the policy in %s has version %d: use the version that `noterp admin policy show` prints, or remove version from the policy", source, p.Version)
	}
	edited := policyFile{baseVersion: p.Version, hasBaseVersion: slices.Contains(fields, "version")}
	p.Tenant, p.Kind, p.Version = tenant, kind, 0

	p.Normalize()
	if err := p.Validate(); err != nil {
		return policyFile{}, usageErrorf("-file: the policy in %s is invalid: %w", source, withoutPolicyName(err, p))
	}
	edited.policy = p
	return edited, nil
}

// withoutPolicyName drops the "policy TENANT/KIND vN: " prefix that
// policy.Validate puts before its messages. For a file that is not stored
// yet it would read v0, and the caller names the file instead.
func withoutPolicyName(err error, p policy.Policy) error {
	prefix := fmt.Sprintf("policy %s/%s v%d: ", p.Tenant, p.Kind, p.Version)
	message, found := strings.CutPrefix(err.Error(), prefix)
	if !found {
		return err
	}
	return errors.New(message)
}

// decodePolicy decodes a policy JSON document field by field, so that an
// error names the field it is about, and returns the names of the fields
// that the document sets, sorted. A field the policy does not have is an
// error, because a misspelled field would otherwise be dropped silently.
func decodePolicy(data []byte) (policy.Policy, []string, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return policy.Policy{}, nil, describeJSONError(data, err)
	}

	var p policy.Policy
	target := reflect.ValueOf(&p).Elem()
	index := jsonFieldIndex(target.Type())
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)

	for _, name := range names {
		i, ok := index[name]
		if !ok {
			known := make([]string, 0, len(index))
			for k := range index {
				known = append(known, k)
			}
			sort.Strings(known)
			return policy.Policy{}, nil, fmt.Errorf("field %q is unknown: use %s", name, strings.Join(known, ", "))
		}
		if err := json.Unmarshal(fields[name], target.Field(i).Addr().Interface()); err != nil {
			return policy.Policy{}, nil, fmt.Errorf("field %s: %w", name, err)
		}
	}
	return p, names, nil
}

// jsonFieldIndex maps the JSON names of t's fields to their index.
func jsonFieldIndex(t reflect.Type) map[string]int {
	index := map[string]int{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			index[name] = i
		}
	}
	return index
}

// describeJSONError adds the line and column to a JSON syntax error.
func describeJSONError(data []byte, err error) error {
	var syntaxErr *json.SyntaxError
	if !errors.As(err, &syntaxErr) {
		return fmt.Errorf("the document is not a JSON object: %w", err)
	}
	before := data[:min(int(syntaxErr.Offset), len(data))]
	line := 1 + strings.Count(string(before), "\n")
	column := len(before) - strings.LastIndex(string(before), "\n")
	return fmt.Errorf("JSON syntax error at line %d, column %d: %w", line, column, err)
}

// adminPolicyShow prints the tenant's newest policy for the kind as JSON
// that policy set accepts. When the tenant has stored none, it prints the
// default policy with version 0, so that policy set can tell an edit of the
// default from an edit of stored version 1.
func adminPolicyShow(ctx context.Context, s *adminSession, fs *flag.FlagSet, args []string) error {
	tenant := tenantFlag(fs)
	kind := kindFlag(fs)
	if err := parseAdminFlags(fs, args, "tenant", "kind"); err != nil {
		return err
	}
	if err := checkTenant(*tenant); err != nil {
		return err
	}
	if err := checkKind(*kind); err != nil {
		return err
	}

	st, err := s.openTenantStore(ctx, *tenant)
	if err != nil {
		return err
	}
	defer st.Close()

	version, err := st.StoredPolicyVersion(ctx, *tenant, *kind)
	if err != nil {
		return withMigrateHint(err)
	}
	if version == 0 {
		// policy.Default has version 1, the number that the first stored
		// version gets, so the two would look the same.
		p := policy.Default(*tenant, *kind)
		p.Version = 0
		return printJSON(s.out, p)
	}

	p, err := st.LoadPolicy(ctx, *tenant, *kind)
	if err != nil {
		return withMigrateHint(err)
	}
	return printJSON(s.out, p)
}

func printJSON(w io.Writer, v any) error {
	encoded, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode JSON: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", encoded)
	return err
}
