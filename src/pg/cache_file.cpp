// The shared cache's files (cache_file.h): their names, layout, checksum, writing an unnamed file
// (O_TMPFILE) in chunks on several threads (file_image.h) and linking it when complete,
// read-only mappings (MAP_POPULATE) released with a memory context, eviction and the lock of
// each version's writer.
#include "cache_file.h"

#include "settings.h"

#include "../core/checksum.h"
#include "../core/file_image.h"

extern "C"
{
#include "common/file_perm.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
}

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <system_error>

namespace
{

constexpr size_t kAlign = 64;

size_t aligned(size_t bytes)
{
	return (bytes + kAlign - 1) / kAlign * kAlign;
}

const char *cache_directory(void)
{
	return psprintf("%s/pgrec_cache", DataDir);
}

// The prefix of the files of every version of a model.
char *file_prefix(const ModelFileKey *key)
{
	return psprintf("%u-%08x-", MyDatabaseId, key->name_hash);
}

char *uuid_text(const pg_uuid_t *uuid)
{
	return DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(uuid)));
}

// The name of key's files without the extension.
char *file_stem(const ModelFileKey *key)
{
	return psprintf("%s%lld-%s-%s", file_prefix(key), (long long)key->model_id,
	                uuid_text(&key->version_uuid), uuid_text(&key->edit_token));
}

char *file_path(const CacheFileKind *kind, const ModelFileKey *key)
{
	return psprintf("%s/%s%s", cache_directory(), file_stem(key), kind->extension);
}

// True when name is a file of the stem (any kind).
bool has_stem(const char *name, const char *stem)
{
	size_t length = strlen(stem);
	return strncmp(name, stem, length) == 0 && name[length] == '.';
}

// Removes the files of the model's older versions and of other edits of key's (same prefix, other
// stem), then the least recently used files of the directory beyond pgrec.shared_cache_limit,
// other than key's.
void remove_old_files(const char *directory, const ModelFileKey *key)
{
	struct Entry
	{
		char *name;
		off_t bytes;
		time_t used;
	};
	// palloc'd (no C++ container: a palloc failure longjmps)
	size_t count = 0, capacity = 16;
	Entry *files = (Entry *)palloc(sizeof(Entry) * capacity);
	const char *prefix = file_prefix(key), *stem = file_stem(key);
	double total = 0;
	DIR *dir = AllocateDir(directory);
	struct dirent *d;
	while ((d = ReadDirExtended(dir, directory, LOG)) != NULL)
	{
		if (d->d_name[0] == '.')
			continue;
		char *path = psprintf("%s/%s", directory, d->d_name);
		bool own = has_stem(d->d_name, stem);
		// The model's files of older versions (smaller model_id) or of other edits of this one;
		// a connection still on an older snapshot never removes a newer version's.
		if (!own && strncmp(d->d_name, prefix, strlen(prefix)) == 0 &&
		    strtoll(d->d_name + strlen(prefix), NULL, 10) <= key->model_id)
		{
			unlink(path);
			continue;
		}
		struct stat st;
		if (stat(path, &st) != 0)
			continue;
		total += (double)st.st_size;
		if (own)
			continue;
		if (count == capacity)
			files = (Entry *)repalloc(files, sizeof(Entry) * (capacity *= 2));
		files[count++] = {path, st.st_size, st.st_mtime};
	}
	FreeDir(dir);
	if (pgrec_shared_cache_limit < 0)
		return;
	std::sort(files, files + count, [](const Entry &a, const Entry &b) { return a.used < b.used; });
	double limit = (double)pgrec_shared_cache_limit * 1024.0 * 1024.0;
	for (size_t i = 0; i < count && total > limit; i++)
	{
		unlink(files[i].name);
		total -= (double)files[i].bytes;
	}
}

struct Mapping
{
	char *base;
	size_t size;
};

void release_mapping(void *arg)
{
	Mapping *m = (Mapping *)arg;
	munmap(m->base, m->size);
}

// A lock of the user lock method on the version, with a field that pg_advisory_lock() never sets.
LOCKTAG file_lock(const CacheFileKind *kind, const ModelFileKey *key)
{
	LOCKTAG tag;
	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, (uint32)((uint64)key->model_id >> 32),
	                     (uint32)key->model_id, kind->lock_field);
	return tag;
}

} // namespace

void set_identity(const CacheFileKind *kind, const ModelFileKey *key, int dim, size_t file_bytes,
                  CacheFileIdentity *id)
{
	memcpy(id->magic, kind->magic, sizeof id->magic);
	id->format = kind->format;
	id->sections = (uint32)kind->sections;
	id->file_bytes = file_bytes;
	id->checksum = 0;
	id->database = MyDatabaseId;
	id->dim = dim;
	id->name_hash = key->name_hash;
	id->unused = 0;
	id->model_id = key->model_id;
	id->version_uuid = key->version_uuid;
	id->edit_token = key->edit_token;
}

bool has_identity(const CacheFileKind *kind, const ModelFileKey *key, int dim, size_t size,
                  const CacheFileIdentity *id)
{
	return size >= kind->header_bytes && memcmp(id->magic, kind->magic, sizeof id->magic) == 0 &&
	       id->format == kind->format && id->sections == (uint32)kind->sections &&
	       id->file_bytes == size && id->database == MyDatabaseId && id->dim == dim &&
	       id->name_hash == key->name_hash && id->model_id == key->model_id &&
	       memcmp(&id->version_uuid, &key->version_uuid, sizeof(pg_uuid_t)) == 0 &&
	       memcmp(&id->edit_token, &key->edit_token, sizeof(pg_uuid_t)) == 0;
}

size_t lay_out_sections(const CacheFileKind *kind, const FilePart *parts, uint64 *offset,
                        uint64 *bytes)
{
	size_t size = aligned(kind->header_bytes);
	for (int s = 0; s < kind->sections; s++)
	{
		offset[s] = size;
		bytes[s] = parts[s].bytes;
		size = aligned(size + parts[s].bytes);
	}
	return size;
}

bool sections_laid_out(const CacheFileKind *kind, const uint64 *offset, const uint64 *bytes,
                       size_t size)
{
	size_t at = aligned(kind->header_bytes);
	for (int s = 0; s < kind->sections; s++)
	{
		if (offset[s] != at || bytes[s] > size || at > size - bytes[s])
			return false;
		at = aligned(at + bytes[s]);
	}
	return at == size;
}

bool cache_file_checksum(const CacheFileKind *kind, const char *base, size_t size, uint64 *out)
{
	// No ereport: callers hold a mapping.
	try
	{
		char *header = (char *)malloc(kind->header_bytes);
		if (header == NULL)
			return false;
		memcpy(header, base, kind->header_bytes);
		((CacheFileIdentity *)header)->checksum = 0;
		uint64 head = pgrec::checksum64(header, kind->header_bytes, 1);
		free(header);
		uint64 body = pgrec::checksum64(base + kind->header_bytes, size - kind->header_bytes,
		                                effective_threads());
		*out = head * 0x9e3779b97f4a7c15ull ^ body; // as write_cache_file() sums
		return true;
	}
	catch (...)
	{
		return false;
	}
}

void write_cache_file(const CacheFileKind *kind, const ModelFileKey *key, CacheFileIdentity *header,
                      const uint64 *offset, const FilePart *parts)
{
	const char *directory = cache_directory();
	if (MakePGDirectory(directory) != 0 && errno != EEXIST)
	{
		ereport(LOG, (errcode_for_file_access(),
		              errmsg("pgrec: could not create directory \"%s\": %m", directory)));
		return;
	}
	// An unnamed file, written in chunks by several threads (pwrite: a full disk is an error,
	// never a fault), linked under its name once complete. Everything allocated before the
	// descriptor is open, so that no allocation failure can leak it.
	char *path = file_path(kind, key);
	char *proc = (char *)palloc(64);
	pgrec::ImageSection *sections =
	    (pgrec::ImageSection *)palloc(sizeof(pgrec::ImageSection) * kind->sections);
	size_t count = 0;
	for (int s = 0; s < kind->sections; s++)
		if (parts[s].data != NULL && parts[s].bytes > 0)
			sections[count++] = {offset[s], parts[s].data, parts[s].bytes};
	int threads = effective_threads();
	int fd = open(directory, O_TMPFILE | O_RDWR, pg_file_create_mode);
	if (fd < 0)
	{
		ereport(LOG, (errcode_for_file_access(),
		              errmsg("pgrec: could not write the shared cache file \"%s\": %m", path)));
		return;
	}
	snprintf(proc, 64, "/proc/self/fd/%d", fd);
	int failure = 0;
	try
	{
		uint64 body = pgrec::write_image(fd, sections, count, kind->header_bytes,
		                                 header->file_bytes, threads);
		header->checksum = 0;
		uint64 head = pgrec::checksum64(header, kind->header_bytes, 1);
		header->checksum = head * 0x9e3779b97f4a7c15ull ^ body;
		pgrec::ImageSection whole = {0, header, kind->header_bytes};
		(void)pgrec::write_image(fd, &whole, 1, 0, kind->header_bytes, 1);
	}
	catch (const std::system_error &e)
	{
		failure = e.code().value();
	}
	catch (...)
	{
		failure = ENOMEM;
	}
	if (failure != 0)
	{
		close(fd);
		errno = failure;
		ereport(LOG, (errcode_for_file_access(),
		              errmsg("pgrec: could not write the shared cache file \"%s\": %m", path)));
		return;
	}
	if (linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) != 0 && errno != EEXIST)
		ereport(LOG, (errcode_for_file_access(),
		              errmsg("pgrec: could not link the shared cache file \"%s\": %m", path)));
	close(fd);
	remove_old_files(directory, key);
}

char *map_cache_file(const CacheFileKind *kind, const ModelFileKey *key, size_t *size)
{
	char *path = file_path(kind, key);
	int fd = open(path, O_RDONLY | PG_BINARY);
	if (fd < 0)
		return NULL;
	struct stat st;
	void *base = MAP_FAILED;
	if (fstat(fd, &st) == 0 && st.st_size >= (off_t)kind->header_bytes)
		base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
	close(fd);
	if (base == MAP_FAILED)
		return NULL;
	*size = (size_t)st.st_size;
	return (char *)base;
}

void reject_cache_file(const CacheFileKind *kind, const ModelFileKey *key, char *base,
                       size_t size, const char *problem)
{
	if (base != NULL)
		munmap(base, size);
	if (problem == NULL)
		return;
	char *path = file_path(kind, key);
	ereport(LOG, (errmsg("pgrec: removing the shared cache file \"%s\": %s", path, problem)));
	unlink(path);
}

MemoryContextCallback *release_callback(MemoryContext context)
{
	MemoryContextCallback *callback =
	    (MemoryContextCallback *)MemoryContextAlloc(context, sizeof(MemoryContextCallback));
	callback->arg = MemoryContextAlloc(context, sizeof(Mapping));
	return callback;
}

void keep_mapping(const CacheFileKind *kind, const ModelFileKey *key, MemoryContext context,
                  MemoryContextCallback *callback, char *base, size_t size)
{
	Mapping *m = (Mapping *)callback->arg;
	m->base = base;
	m->size = size;
	callback->func = release_mapping;
	MemoryContextRegisterResetCallback(context, callback);
	utimes(file_path(kind, key), NULL); // the least recently used files are evicted first
}

void lock_cache_file(const CacheFileKind *kind, const ModelFileKey *key)
{
	LOCKTAG tag = file_lock(kind, key);
	(void)LockAcquire(&tag, ExclusiveLock, false, false);
}

void unlock_cache_file(const CacheFileKind *kind, const ModelFileKey *key)
{
	LOCKTAG tag = file_lock(kind, key);
	LockRelease(&tag, ExclusiveLock, false);
}
