/* The binary defence, when a container could otherwise reach the binary.
 *
 * /proc/PID/exe of a process running cfsrun is the host's cfsrun binary.  A
 * process in the container that opens it (even O_PATH) can reopen it for
 * writing through /proc/self/fd/N once no process executes it any more, and
 * replace the runtime on the host (CVE-2019-5736).  Opening /proc/PID/exe
 * needs ptrace access to PID: a cfsrun process in a container's reach is not
 * dumpable until it execs the user's program, which stops every process
 * but one holding CAP_SYS_PTRACE in the host's user namespace.  For that
 * one, and for the built-in init (cfsrun code as the container's PID 1, for
 * its whole life), cfsrun re-executes itself early from a copy of itself in
 * a sealed memfd: /proc/PID/exe of it and of every process it forks is then
 * that copy, which no one can write to (F_SEAL_WRITE), grow or shrink, and
 * whose seals cannot be removed.
 *
 * The copy holds the loadable part of the binary only (up to the end of its
 * last segment, without debug sections): that is all exec needs, and it is
 * memory the container's init keeps for its life.  */
#include "sealed-exe.h"

#include <elf.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>

#include "trace.h"
#include "util.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

/* Set across the re-exec (to the time it began), so that a copy which is
   somehow not seen as sealed fails instead of re-executing forever.  */
#define REEXEC_ENV "_CFSRUN_SEALED_REEXEC"

bool
sealed_exe_ptrace_possible (bool has_caps, const struct caps_plan *caps, const struct ns_plan *ns)
{
  struct stat a, b;

  if (has_caps && !(caps->bounding & (1ULL << CAP_SYS_PTRACE)))
    return false;
  if (!ns->wanted[NS_USER])
    return true;
  /* A user namespace given by path may be the host's own. */
  return ns->path[NS_USER] && stat (ns->path[NS_USER], &a) == 0 && stat ("/proc/self/ns/user", &b) == 0
         && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

static bool
is_sealed (int fd)
{
  int seals = fcntl (fd, F_GET_SEALS);

  return seals >= 0 && (seals & SEALS) == SEALS;
}

/* Where the binary's loadable part ends: the furthest segment end (or the
   program header table).  The whole file when it is not a 64-bit ELF.  */
static off_t
loadable_size (int fd, off_t file_size)
{
  Elf64_Ehdr eh;
  uint64_t end;
  size_t i;

  if (pread (fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh || memcmp (eh.e_ident, ELFMAG, SELFMAG) != 0
      || eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof (Elf64_Phdr))
    return file_size;
  end = eh.e_phoff + (uint64_t)eh.e_phnum * sizeof (Elf64_Phdr);
  for (i = 0; i < eh.e_phnum; i++)
    {
      Elf64_Phdr ph;

      if (pread (fd, &ph, sizeof ph, (off_t)(eh.e_phoff + i * sizeof ph)) != (ssize_t)sizeof ph)
        return file_size;
      if (ph.p_offset + ph.p_filesz > end)
        end = ph.p_offset + ph.p_filesz;
    }
  return end < (uint64_t)file_size ? (off_t)end : file_size;
}

static int
copy_range (int src, int dst, off_t size)
{
  off_t off = 0;
  char buf[65536];

  while (off < size)
    {
      ssize_t n = sendfile (dst, src, &off, (size_t)(size - off));

      if (n > 0)
        continue;
      if (n == 0 || (errno != EINVAL && errno != ENOSYS))
        return n == 0 ? -EIO : -errno;
      /* No sendfile between these two: copy by hand. */
      n = pread (src, buf, sizeof buf < (size_t)(size - off) ? sizeof buf : (size_t)(size - off), off);
      if (n <= 0 || util_write_all (dst, buf, (size_t)n) < 0)
        return n == 0 ? -EIO : -errno;
      off += n;
    }
  return 0;
}

static int
new_memfd (int *ret_fd, struct cfs_error **err)
{
  int fd = memfd_create ("cfsrun", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);

  /* Kernels before 6.3 know no MFD_EXEC, and every memfd is executable. */
  if (fd < 0 && errno == EINVAL)
    fd = memfd_create ("cfsrun", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0)
    return cfs_fail (err, CFS_E_SYSTEM, errno, NULL,
                     "create an executable memfd for the sealed copy of cfsrun (vm.memfd_noexec=2 "
                     "forbids it)");
  *ret_fd = fd;
  return 0;
}

static int
copy_self (int self, int *ret_fd, struct cfs_error **err)
{
  _cleanup_close_ int fd = -1;
  struct stat st;
  int r;

  if (fstat (self, &st) < 0)
    return cfs_fail (err, CFS_E_SYSTEM, errno, "/proc/self/exe", "read the cfsrun binary");
  if ((r = new_memfd (&fd, err)) < 0)
    return r;
  if ((r = copy_range (self, fd, loadable_size (self, st.st_size))) < 0)
    return cfs_fail (err, CFS_E_SYSTEM, -r, "/proc/self/exe", "copy the cfsrun binary into a memfd from");
  /* Read and execute for every user the container may run as, no write. */
  if (fchmod (fd, 0555) < 0 || fcntl (fd, F_ADD_SEALS, SEALS) < 0)
    return cfs_fail (err, CFS_E_SYSTEM, errno, NULL, "seal the memfd copy of cfsrun");
  *ret_fd = TAKE_FD (fd);
  return 0;
}

static int
open_self (int *ret_fd, struct cfs_error **err)
{
  int fd = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    return cfs_fail (err, CFS_E_SYSTEM, errno, "/proc/self/exe", "open the running cfsrun binary");
  *ret_fd = fd;
  return 0;
}

/* Our own argv, from /proc/self/cmdline (the library is not given it). */
static int
read_argv (char **ret_buf, char ***ret_argv, struct cfs_error **err)
{
  _cleanup_free_ char *buf = NULL;
  size_t len = 0, n = 0, i;
  char **argv;
  int r = util_read_file_at (AT_FDCWD, "/proc/self/cmdline", &buf, &len, err);

  if (r < 0)
    return r;
  for (i = 0; i < len; i++)
    n += buf[i] == '\0';
  if (len == 0 || (argv = calloc (n + 1, sizeof *argv)) == NULL)
    return cfs_fail (err, CFS_E_SYSTEM, len ? ENOMEM : EINVAL, "/proc/self/cmdline", "read the arguments");
  for (i = 0, n = 0; i < len; i += strlen (buf + i) + 1)
    argv[n++] = buf + i;
  *ret_argv = argv;
  *ret_buf = TAKE_PTR (buf);
  return 0;
}

static int
reexec (int self, struct cfs_error **err)
{
  _cleanup_close_ int fd = -1;
  _cleanup_free_ char *args = NULL;
  _cleanup_free_ char **argv = NULL;
  char t0[32];
  int r;

  snprintf (t0, sizeof t0, "%llu", (unsigned long long)util_now_ns ());
  if ((r = copy_self (self, &fd, err)) < 0 || (r = read_argv (&args, &argv, err)) < 0)
    return r;
  if (setenv (REEXEC_ENV, t0, 1) < 0)
    return cfs_fail (err, CFS_E_SYSTEM, errno, NULL, "re-execute cfsrun");
  fexecve (fd, argv, environ);
  r = cfs_fail (err, CFS_E_SYSTEM, errno, NULL, "re-execute cfsrun from its sealed memfd copy");
  unsetenv (REEXEC_ENV);
  return r;
}

/* The copy and exec as a phase of their own, timed from before the copy. */
static void
report_reexec (const char *who, uint64_t t0)
{
  struct phase ph;

  phase_begin (&ph, who, "re-exec");
  if (ph.t0)
    ph.t0 = t0;
  phase_end (&ph, 0, NULL);
}

int
sealed_exe_ensure (const char *who, struct cfs_error **err)
{
  _cleanup_close_ int self = -1;
  const char *mark = getenv (REEXEC_ENV);
  uint64_t t0 = mark ? strtoull (mark, NULL, 10) : 0;
  int r;

  /* Not passed on: hooks and the container never see it. */
  if (mark)
    unsetenv (REEXEC_ENV);
  if ((r = open_self (&self, err)) < 0)
    return r;
  if (is_sealed (self))
    {
      /* exec from an fd named us after its number, "3": be "cfsrun" for ps. */
      if (mark)
        prctl (PR_SET_NAME, "cfsrun", 0, 0, 0);
      if (t0)
        report_reexec (who, t0);
      return 0;
    }
  if (mark)
    return cfs_fail (err, CFS_E_INTERNAL, 0, "/proc/self/exe",
                     "re-executed from a sealed copy of cfsrun, but not running from one:");
  return reexec (self, err);
}
