package e2e

import (
	"encoding/base64"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/noterp/noterp/activities"
	"github.com/noterp/noterp/internal/amazonsim"
	"github.com/noterp/noterp/internal/testenv"
	"github.com/noterp/noterp/workflows"
)

// buildNoterp compiles the noterp binary into a temporary directory.
func buildNoterp(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "noterp")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/noterp")
	cmd.Dir = testenv.RepoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build noterp: %v\n%s", err, out)
	}
	return bin
}

// startWorker runs `noterp worker` as a separate process against the stack.
func (s *stack) startWorker(bin, logName string) *exec.Cmd {
	s.t.Helper()
	logPath := filepath.Join(s.t.TempDir(), logName)
	logFile, err := os.Create(logPath)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { logFile.Close() })

	cmd := exec.Command(bin, "worker")
	cmd.Env = append(os.Environ(),
		"NOTERP_TEMPORAL_ADDRESS="+s.temporalHP,
		"NOTERP_DATABASE_URL="+s.databaseURL,
		"NOTERP_SPAPI_ENDPOINT="+s.simURL,
		"NOTERP_LWA_TOKEN_URL="+s.simURL+"/auth/o2/token",
		"NOTERP_LWA_CLIENT_ID="+s.demo.ClientID,
		"NOTERP_LWA_CLIENT_SECRET="+s.demo.ClientSecret,
		"NOTERP_SECRETS_FILE="+s.secretsFile,
		"NOTERP_SECRETS_KEY="+base64.StdEncoding.EncodeToString(s.secretsKey),
		"NOTERP_DATA_DIR="+s.t.TempDir(),
		"NOTERP_LOG_LEVEL=info",
	)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start worker: %v", err)
	}
	s.t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
		if s.t.Failed() {
			out, _ := os.ReadFile(logPath)
			s.t.Logf("%s:\n%s", logName, out)
		}
	})
	return cmd
}

// TestWorkerCrashDuringWriteAppliesOnce kills the worker process while its
// patchListingsItem call is in flight, after Amazon has taken the write but
// before it responds. It then starts a new worker and checks that the
// change took effect exactly once.
func TestWorkerCrashDuringWriteAppliesOnce(t *testing.T) {
	s := newStack(t, false)
	bin := buildNoterp(t)
	first := s.startWorker(bin, "worker-1.log")

	id := s.propose("e2e-crash-1", "22.49")
	st := s.waitForStatus(id, workflows.StatusPendingApproval)

	// The next submission is recorded and applied at once, but its response
	// is held back long enough to kill the worker that waits for it.
	if err := s.sim.AddFault(amazonsim.Fault{
		SellerID: s.demo.SellerID, Operation: amazonsim.OperationPatchListingsItem,
		Kind: amazonsim.FaultSlowResponse, Count: 1, Delay: 20 * time.Second,
	}); err != nil {
		t.Fatal(err)
	}
	wantStatusCode(t, "approve", s.approve(id, st.Proposal.Hash), http.StatusOK)

	deadline := time.Now().Add(time.Minute)
	for s.listing().Writes == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the worker never sent the write")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := first.Process.Kill(); err != nil {
		t.Fatalf("kill worker: %v", err)
	}
	_ = first.Wait()

	s.startWorker(bin, "worker-2.log")
	st = s.waitForOpenReview(id)

	if w := s.listing().Writes; w != 1 {
		t.Fatalf("simulator writes = %d after the crash, want exactly 1", w)
	}
	outcome := st.Execution.Result.Outcome
	if outcome != activities.OutcomeAlreadyApplied && outcome != activities.OutcomeSubmissionUnknown {
		t.Errorf("execution outcome = %s, want already_applied or submission_unknown after a lost answer", outcome)
	}
	if st.Verification.Outcome != workflows.VerificationVerified {
		t.Errorf("verification = %s, want verified", describe(st.Verification))
	}

	wantStatusCode(t, "review", s.review(id, "effective"), http.StatusOK)
	s.waitForStatus(id, workflows.StatusClosed)
}
