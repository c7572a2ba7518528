#include "signals.h"

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

static const struct
{
  const char *name;
  int sig;
} signal_names[] = {
  { "HUP", SIGHUP },       { "INT", SIGINT },     { "QUIT", SIGQUIT }, { "ILL", SIGILL },
  { "TRAP", SIGTRAP },     { "ABRT", SIGABRT },   { "IOT", SIGIOT },   { "BUS", SIGBUS },
  { "FPE", SIGFPE },       { "KILL", SIGKILL },   { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV },
  { "USR2", SIGUSR2 },     { "PIPE", SIGPIPE },   { "ALRM", SIGALRM }, { "TERM", SIGTERM },
  { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD },   { "CLD", SIGCHLD },  { "CONT", SIGCONT },
  { "STOP", SIGSTOP },     { "TSTP", SIGTSTP },   { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },
  { "URG", SIGURG },       { "XCPU", SIGXCPU },   { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM },
  { "PROF", SIGPROF },     { "WINCH", SIGWINCH }, { "IO", SIGIO },     { "POLL", SIGPOLL },
  { "PWR", SIGPWR },       { "SYS", SIGSYS },
};

static int
parse_number (const char *s, int *ret)
{
  char *end;
  long v;

  if (!isdigit ((unsigned char)*s))
    return -1;
  v = strtol (s, &end, 10);
  if (*end || v < 0 || v > 64)
    return -1;
  *ret = (int)v;
  return 0;
}

static int
parse_rt (const char *s, int *ret)
{
  int base, off = 0;
  const char *rest;

  if (strncasecmp (s, "RTMIN", 5) == 0)
    base = SIGRTMIN;
  else if (strncasecmp (s, "RTMAX", 5) == 0)
    base = SIGRTMAX;
  else
    return -1;
  rest = s + 5;
  if (*rest == '\0')
    off = 0;
  else if ((*rest == '+' || *rest == '-') && parse_number (rest + 1, &off) == 0)
    off = *rest == '-' ? -off : off;
  else
    return -1;
  if (base + off < SIGRTMIN || base + off > SIGRTMAX)
    return -1;
  *ret = base + off;
  return 0;
}

int
signals_parse (const char *text, int *ret_signal, struct cfs_error **err)
{
  const char *s = text;
  size_t i;
  int sig;

  if (parse_number (s, &sig) == 0)
    {
      if (sig < 1 || sig > SIGRTMAX)
        return cfs_fail (err, CFS_E_SIGNAL_INVALID, 0, NULL, "signal number %s is out of range (1-%d)", text,
                         SIGRTMAX);
      *ret_signal = sig;
      return 0;
    }
  if (strncasecmp (s, "SIG", 3) == 0)
    s += 3;
  for (i = 0; i < ARRAY_SIZE (signal_names); i++)
    if (strcasecmp (s, signal_names[i].name) == 0)
      {
        *ret_signal = signal_names[i].sig;
        return 0;
      }
  if (parse_rt (s, &sig) == 0)
    {
      *ret_signal = sig;
      return 0;
    }
  return cfs_fail (err, CFS_E_SIGNAL_INVALID, 0, NULL, "unknown signal `%s`", text);
}

static volatile sig_atomic_t forward_pid;

static void
forward_signal (int sig)
{
  if (forward_pid > 0)
    kill (forward_pid, sig);
}

void
signals_forward_to (int pid)
{
  static const int sigs[]
      = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT, SIGTSTP };
  struct sigaction sa = { .sa_handler = forward_signal, .sa_flags = SA_RESTART };
  size_t i;

  forward_pid = pid;
  sigemptyset (&sa.sa_mask);
  for (i = 0; i < ARRAY_SIZE (sigs); i++)
    sigaction (sigs[i], &sa, NULL);
}
