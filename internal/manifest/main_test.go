package manifest

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// fileSizeChildEnv makes the test binary, started again by withFileSizeLimit, edit one
// file under a lowered RLIMIT_FSIZE instead of running the tests.
const fileSizeChildEnv = "CHART_PROMOTER_TEST_FSIZE_CHILD"

func TestMain(m *testing.M) {
	if spec := os.Getenv(fileSizeChildEnv); spec != "" {
		os.Exit(editUnderFileSizeLimit(spec))
	}
	os.Exit(m.Run())
}

// editUnderFileSizeLimit is the child's side: spec is "LIMIT:PATH". It moves the last
// source of PATH to 1.0.1 with the process's file size limit at LIMIT bytes and prints
// what EditFile returned. The limit is process-wide, so it must not be lowered in the
// test process itself, where go test's own log writes would hit it too.
func editUnderFileSizeLimit(spec string) int {
	limitText, path, _ := strings.Cut(spec, ":")
	limit, err := strconv.ParseUint(limitText, 10, 64)
	if err != nil {
		fmt.Println("bad spec:", spec)
		return 2
	}
	data, err := os.ReadFile(path)
	if err != nil {
		fmt.Println(err)
		return 2
	}
	sources := scanSources("fleet.yaml", data)
	last := sources[len(sources)-1]
	edit := Edit{Location: last.Location, Old: last.Revision, New: "1.0.1"}
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		fmt.Println(err)
		return 2
	}
	lowered := old
	lowered.Cur = limit
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lowered); err != nil {
		fmt.Println(err)
		return 2
	}
	changed, err := EditFile(path, sha256.Sum256(data), []Edit{edit})
	fmt.Printf("changed=%v efbig=%v err=%v\n", changed, errors.Is(err, syscall.EFBIG), err)
	return 0
}
