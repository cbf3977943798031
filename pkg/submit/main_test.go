package submit

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"
)

// helperEnv selects a helper mode when the test binary is re-executed as a
// child ("job") or as a fake ptsaml ("ptsaml").
const helperEnv = "PTSAML_SUBMIT_TEST_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "job":
		helperJob()
	case "ptsaml":
		helperPtsaml()
	default:
		fmt.Fprintln(os.Stderr, "unknown helper mode")
		os.Exit(2)
	}
}

// helperJob is a job that records each SIGINT in $COUNT_FILE, exits 130 on
// one when $EXIT_ON_INT is set, ignores SIGTERM when $IGNORE_TERM is set, and
// otherwise runs until killed. It writes $READY_FILE once its handlers are in
// place.
func helperJob() {
	c := make(chan os.Signal, 4)
	signal.Notify(c, syscall.SIGINT)
	if os.Getenv("IGNORE_TERM") != "" {
		signal.Ignore(syscall.SIGTERM)
	}
	if err := os.WriteFile(os.Getenv("READY_FILE"), []byte("ready"), 0o600); err != nil {
		os.Exit(2)
	}
	for range c {
		f, err := os.OpenFile(os.Getenv("COUNT_FILE"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			os.Exit(2)
		}
		_, _ = f.WriteString("INT\n")
		_ = f.Close()
		if os.Getenv("EXIT_ON_INT") != "" {
			os.Exit(130)
		}
	}
}

// helperPtsaml stands for ptsaml: it Runs a job that writes its pid to
// $PID_FILE and sleeps, and waits for it.
func helperPtsaml() {
	job := Job{Argv: []string{"sh", "-c", `echo $$ > "$PID_FILE"; exec sleep 60`}}
	code, err := Run(context.Background(), job, nil, RunDeps{})
	if err != nil {
		os.Exit(2)
	}
	os.Exit(code)
}
