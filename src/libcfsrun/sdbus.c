/* sd-bus: loaded on first use by the dynamically linked cfsrun (see
   sdbus.h for why); the static cfsrun hands the command to that one.  */
#include "sdbus.h"

#ifdef CFS_STATIC_BINARY

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

#ifndef CFS_PKGLIBEXECDIR
#define CFS_PKGLIBEXECDIR "/usr/local/libexec/cfsrun"
#endif

extern char **environ;

/* cfsrun-dynamic beside this binary (the build tree, or a copied
   install), else where `make install` put it.  */
static bool
twin_path (char *buf, size_t size)
{
  char self[PATH_MAX];
  ssize_t n = readlink ("/proc/self/exe", self, sizeof self - 1);
  char *slash;

  if (n > 0)
    {
      self[n] = '\0';
      if ((slash = strrchr (self, '/')) != NULL)
        {
          *slash = '\0';
          if (snprintf (buf, size, "%s/cfsrun-dynamic", self) < (int)size && access (buf, X_OK) == 0)
            return true;
        }
    }
  snprintf (buf, size, "%s/cfsrun-dynamic", CFS_PKGLIBEXECDIR);
  return access (buf, X_OK) == 0;
}

/* Our own command line, as the kernel keeps it: option parsing may have
   reordered the pointers of argv, never the strings.  */
static char **
own_argv (char **ret_text)
{
  size_t len = 0, n = 0, i;
  char *text = NULL, **argv;

  if (util_read_file_at (AT_FDCWD, "/proc/self/cmdline", &text, &len, NULL) < 0)
    return NULL;
  for (i = 0; i < len; i++)
    n += text[i] == '\0';
  if ((argv = calloc (n + 1, sizeof *argv)) == NULL)
    {
      free (text);
      return NULL;
    }
  for (i = 0, n = 0; i < len; i += strlen (text + i) + 1)
    argv[n++] = text + i;
  *ret_text = text;
  return argv;
}

/* Debian ships sd-bus as a shared library only, and a static program
   cannot load one: cfsrun-dynamic, this same program linked dynamically,
   runs the whole command instead, from its start.  Every caller asks for
   sd-bus before anything it could not do twice: create and run first of
   all, update before it writes, delete after a kill it repeats
   harmlessly.  Returns only on failure.  */
const struct sdbus *
sdbus_get (struct cfs_error **err)
{
  _cleanup_free_ char *text = NULL;
  _cleanup_free_ char **argv = NULL;
  char twin[PATH_MAX];

  if (!twin_path (twin, sizeof twin))
    {
      cfs_fail (err, CFS_E_SYSTEMD, ENOENT, twin,
                "the systemd cgroup driver needs cfsrun-dynamic (this cfsrun is linked statically and "
                "cannot load libsystemd); it is not beside this binary nor at");
      return NULL;
    }
  if ((argv = own_argv (&text)) == NULL)
    {
      cfs_fail (err, CFS_E_SYSTEM, errno, "/proc/self/cmdline", "read");
      return NULL;
    }
  cfs_log_debug ("handing the command to %s for sd-bus", twin);
  fflush (NULL);
  execve (twin, argv, environ);
  cfs_fail (err, CFS_E_SYSTEMD, errno, twin, "execute");
  return NULL;
}

#else

#include "dlib.h"

static struct sdbus api;
static void *handle;

#define SYM(f) DLIB_SYM (api, f)

const struct sdbus *
sdbus_get (struct cfs_error **err)
{
  static const struct dlib lib = { "libsystemd.so.0", "libsystemd0", "the systemd cgroup driver needs",
                                   "libsystemd 237 or newer", CFS_E_SYSTEMD };
  static const struct dlib_sym syms[] = { SDBUS_FUNCS (SYM) };

  return dlib_load (&handle, &lib, syms, sizeof syms / sizeof syms[0], NULL, err) < 0 ? NULL : &api;
}

#endif
