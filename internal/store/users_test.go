package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/noterp/noterp/internal/store"
	"github.com/noterp/noterp/internal/testenv"
)

func TestTokenAuthenticatesUntilRevoked(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()

	if err := s.CreateUser(ctx, "acme", "alice", []string{"requester", "reviewer"}); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	token, err := s.IssueToken(ctx, "acme", "alice", "laptop")
	if err != nil {
		t.Fatalf("IssueToken: %v", err)
	}
	if !strings.HasPrefix(token, "ntk_") || len(token) < 40 {
		t.Errorf("token %q lacks the ntk_ prefix or is short", token)
	}

	p, err := s.Authenticate(ctx, token)
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	if p.Tenant != "acme" || p.UserID != "alice" || !slices.Equal(p.Roles, []string{"requester", "reviewer"}) {
		t.Errorf("principal = %+v, want acme/alice with requester and reviewer", p)
	}

	if err := s.RevokeToken(ctx, "other", token); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another tenant's RevokeToken err = %v, want ErrNotFound", err)
	}
	if err := s.RevokeToken(ctx, "acme", token); err != nil {
		t.Fatalf("RevokeToken: %v", err)
	}
	if _, err := s.Authenticate(ctx, token); !errors.Is(err, store.ErrUnauthenticated) {
		t.Errorf("Authenticate after revocation err = %v, want ErrUnauthenticated", err)
	}
}

func TestAuthenticateRejectsUnknownTokens(t *testing.T) {
	s := newStore(t)
	for _, token := range []string{"", "ntk_unknown", "Bearer x"} {
		if _, err := s.Authenticate(context.Background(), token); !errors.Is(err, store.ErrUnauthenticated) {
			t.Errorf("Authenticate(%q) err = %v, want ErrUnauthenticated", token, err)
		}
	}
}

func TestTokenStoredOnlyAsHash(t *testing.T) {
	databaseURL := testenv.Postgres(t)
	s, err := store.Open(context.Background(), databaseURL, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	ctx := context.Background()

	if err := s.CreateUser(ctx, "acme", "alice", []string{"requester"}); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	token, err := s.IssueToken(ctx, "acme", "alice", "ci")
	if err != nil {
		t.Fatalf("IssueToken: %v", err)
	}

	var dump string
	err = connect(t, databaseURL).QueryRow(ctx, `SELECT string_agg(t::text, ' ') FROM api_tokens t`).Scan(&dump)
	if err != nil {
		t.Fatalf("dump api_tokens: %v", err)
	}
	if strings.Contains(dump, token) || strings.Contains(dump, strings.TrimPrefix(token, "ntk_")) {
		t.Errorf("api_tokens contains the plaintext token: %s", dump)
	}
}

func TestIssueTokenForUnknownUser(t *testing.T) {
	s := newStore(t)
	_, err := s.IssueToken(context.Background(), "acme", "nobody", "x")
	mustNotFound(t, err)
}

func TestCreateUserRejectsBadInput(t *testing.T) {
	s := newStore(t)
	cases := []struct {
		name, tenant, user string
		roles              []string
	}{
		{"unknown role", "acme", "alice", []string{"superuser"}},
		{"no role", "acme", "alice", nil},
		{"tenant with colon", "ac:me", "alice", []string{"requester"}},
		{"upper-case tenant", "ACME", "alice", []string{"requester"}},
		{"empty user", "acme", "", []string{"requester"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.CreateUser(context.Background(), tc.tenant, tc.user, tc.roles); err == nil {
				t.Errorf("CreateUser(%q, %q, %v) succeeded", tc.tenant, tc.user, tc.roles)
			}
		})
	}
}
