package deploy

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// dockerInstruction is one instruction of a Dockerfile, with its
// continuation lines joined.
type dockerInstruction struct {
	Line    int
	Command string // upper case, such as RUN
	Args    string
	Stage   int // 0 for the first FROM's stage
}

// parseDockerfile reads deploy/Dockerfile.
func parseDockerfile(t *testing.T) []dockerInstruction {
	t.Helper()

	f, err := os.Open("Dockerfile")
	if err != nil {
		t.Fatalf("open Dockerfile: %v", err)
	}
	defer f.Close()

	instructions, err := parseInstructions(bufio.NewScanner(f))
	if err != nil {
		t.Fatalf("read Dockerfile: %v", err)
	}
	if len(instructions) == 0 || instructions[0].Command != "FROM" {
		t.Fatal("the Dockerfile does not start with FROM")
	}
	return instructions
}

// parseInstructions splits Dockerfile text into instructions. It skips
// comments and blank lines, and joins lines that end with a backslash.
func parseInstructions(scanner *bufio.Scanner) ([]dockerInstruction, error) {
	var instructions []dockerInstruction
	var pending strings.Builder
	start, stage, lineNumber := 0, -1, 0

	for scanner.Scan() {
		lineNumber++
		line := strings.TrimSpace(scanner.Text())
		if strings.HasPrefix(line, "#") || (line == "" && pending.Len() == 0) {
			continue
		}
		if pending.Len() == 0 {
			start = lineNumber
		}
		if strings.HasSuffix(line, `\`) {
			pending.WriteString(strings.TrimSuffix(line, `\`) + " ")
			continue
		}
		pending.WriteString(line)

		command, args, _ := strings.Cut(pending.String(), " ")
		command = strings.ToUpper(command)
		if command == "FROM" {
			stage++
		}
		instructions = append(instructions, dockerInstruction{Line: start, Command: command, Args: strings.TrimSpace(args), Stage: stage})
		pending.Reset()
	}
	return instructions, scanner.Err()
}

// finalStage returns the instructions of the last stage, the image that
// runs.
func finalStage(instructions []dockerInstruction) []dockerInstruction {
	last := instructions[len(instructions)-1].Stage
	var stage []dockerInstruction
	for _, in := range instructions {
		if in.Stage == last {
			stage = append(stage, in)
		}
	}
	return stage
}

// dockerfileEnv returns the variables that ENV sets in the final stage, in
// the KEY=VALUE form.
func dockerfileEnv(t *testing.T, instructions []dockerInstruction) map[string]string {
	t.Helper()

	env := map[string]string{}
	for _, in := range finalStage(instructions) {
		if in.Command != "ENV" {
			continue
		}
		for _, pair := range strings.Fields(in.Args) {
			name, value, ok := strings.Cut(pair, "=")
			if !ok {
				t.Fatalf("Dockerfile line %d: ENV %s: write ENV NAME=value", in.Line, in.Args)
			}
			env[name] = strings.Trim(value, `"`)
		}
	}
	return env
}

// copySources returns the sources of COPY instructions that read the build
// context, leaving out COPY --from.
func copySources(instructions []dockerInstruction) []string {
	var sources []string
	for _, in := range instructions {
		if in.Command != "COPY" || strings.Contains(in.Args, "--from=") {
			continue
		}
		fields := strings.Fields(in.Args)
		for _, field := range fields[:len(fields)-1] {
			if !strings.HasPrefix(field, "--") {
				sources = append(sources, field)
			}
		}
	}
	return sources
}

func TestParseInstructionsJoinsContinuations(t *testing.T) {
	text := "FROM golang:1.26 AS build\n# comment\nRUN go build \\\n  -o /out/noterp \\\n  ./cmd/noterp\n\nFROM scratch\nUSER 1:1\n"
	instructions, err := parseInstructions(bufio.NewScanner(strings.NewReader(text)))
	if err != nil {
		t.Fatal(err)
	}

	if len(instructions) != 4 {
		t.Fatalf("got %d instructions, want 4: %+v", len(instructions), instructions)
	}
	run := instructions[1]
	if run.Command != "RUN" || run.Line != 3 || !strings.Contains(run.Args, "-o /out/noterp") || !strings.HasSuffix(run.Args, "./cmd/noterp") {
		t.Errorf("RUN = %+v, want the three lines joined, starting at line 3", run)
	}
	if instructions[3].Stage != 1 {
		t.Errorf("USER is in stage %d, want 1", instructions[3].Stage)
	}
}

func TestDockerfileBuildsNoterpStatically(t *testing.T) {
	instructions := parseDockerfile(t)

	if from := instructions[0].Args; !strings.HasPrefix(from, "golang:1.26 ") {
		t.Errorf("first FROM = %q, want the golang:1.26 image", from)
	}

	var build *dockerInstruction
	for i, in := range instructions {
		if in.Command == "RUN" && strings.Contains(in.Args, "go build") {
			build = &instructions[i]
		}
	}
	if build == nil {
		t.Fatal("no RUN go build in the Dockerfile")
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "./cmd/noterp", "-o /out/noterp"} {
		if !strings.Contains(build.Args, want) {
			t.Errorf("Dockerfile line %d: go build lacks %q: %s", build.Line, want, build.Args)
		}
	}

	copied := false
	for _, in := range finalStage(instructions) {
		if in.Command == "COPY" && strings.Contains(in.Args, "--from=build /out/noterp /noterp") {
			copied = true
		}
	}
	if !copied {
		t.Error("the final stage does not copy /out/noterp from the build stage to /noterp")
	}
}

func TestDockerfileRunsAsNonRoot(t *testing.T) {
	final := finalStage(parseDockerfile(t))

	base := final[0].Args
	if !strings.Contains(base, "distroless/static") || !strings.Contains(base, "nonroot") {
		t.Errorf("runtime base = %q, want distroless static, nonroot variant", base)
	}

	user := ""
	var entrypoint []string
	for _, in := range final {
		switch in.Command {
		case "USER":
			user = in.Args
		case "ENTRYPOINT":
			if err := json.Unmarshal([]byte(in.Args), &entrypoint); err != nil {
				t.Errorf("Dockerfile line %d: ENTRYPOINT %s is not the JSON form: %v", in.Line, in.Args, err)
			}
		}
	}
	uid, _, _ := strings.Cut(user, ":")
	if user == "" || uid == "0" || uid == "root" {
		t.Errorf("final USER = %q, want a non-root user such as 65532:65532", user)
	}
	if len(entrypoint) != 1 || entrypoint[0] != "/noterp" {
		t.Errorf("ENTRYPOINT = %v, want [\"/noterp\"]", entrypoint)
	}
}

// TestDockerfileBakesNoSecret checks that no stage sets a secret through
// ENV or ARG, where it would stay in the image's history.
func TestDockerfileBakesNoSecret(t *testing.T) {
	for _, in := range parseDockerfile(t) {
		if in.Command != "ENV" && in.Command != "ARG" {
			continue
		}
		for _, pair := range strings.Fields(in.Args) {
			name, _, _ := strings.Cut(pair, "=")
			upper := strings.ToUpper(name)
			for _, word := range []string{"SECRET", "PASSWORD", "TOKEN", "DATABASE_URL"} {
				if strings.Contains(upper, word) {
					t.Errorf("Dockerfile line %d: %s %s bakes a secret into the image: set it at run time", in.Line, in.Command, name)
				}
			}
		}
	}
}

// TestDockerfileCopiesNoLocalState keeps .data, which holds the development
// secret store and its key, out of the image.
func TestDockerfileCopiesNoLocalState(t *testing.T) {
	for _, source := range copySources(parseDockerfile(t)) {
		clean := filepath.Clean(source)
		if clean == "." || clean == ".data" || clean == "bin" || strings.HasPrefix(clean, ".data/") {
			t.Errorf("the Dockerfile copies %s from the build context, which can include local secrets: copy the source directories one by one", source)
		}
	}

	ignore, err := os.ReadFile("Dockerfile.dockerignore")
	if err != nil {
		t.Fatalf("read Dockerfile.dockerignore: %v", err)
	}
	if !strings.Contains("\n"+string(ignore)+"\n", "\n.data\n") {
		t.Error("Dockerfile.dockerignore does not exclude .data")
	}
}

// TestDockerfileCopiesEveryPackageOfNoterp asks the go command which of the
// module's packages ./cmd/noterp imports, and checks that the build stage
// copies each one. A new top-level package fails here before the image
// build does.
func TestDockerfileCopiesEveryPackageOfNoterp(t *testing.T) {
	goCommand, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is not on PATH: %v", err)
	}
	cmd := exec.Command(goCommand, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "./cmd/noterp")
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps ./cmd/noterp: %v", err)
	}

	const module = "github.com/noterp/noterp/"
	sources := copySources(parseDockerfile(t))
	packages := 0
	for _, importPath := range strings.Fields(string(out)) {
		dir, ok := strings.CutPrefix(importPath, module)
		if !ok {
			continue
		}
		packages++
		if !copiedBy(sources, dir) {
			t.Errorf("the Dockerfile does not copy %s, which ./cmd/noterp imports: add COPY %s/ %s/", dir, strings.Split(dir, "/")[0], strings.Split(dir, "/")[0])
		}
	}
	if packages == 0 {
		t.Fatal("go list found no package of the module in ./cmd/noterp's dependencies")
	}
	for _, file := range []string{"go.mod", "go.sum"} {
		if !copiedBy(sources, file) {
			t.Errorf("the Dockerfile does not copy %s", file)
		}
	}
}

// copiedBy reports whether path lies in one of the COPY sources.
func copiedBy(sources []string, path string) bool {
	for _, source := range sources {
		source = filepath.Clean(source)
		if path == source || strings.HasPrefix(path, source+"/") {
			return true
		}
	}
	return false
}
