// The files of the shared cache under the data directory's pgrec_cache folder, whatever they
// hold (model_file.h: a model version's arrays; index_file.h: its approximate-search index): a
// header, then 64-byte aligned sections, and a checksum of the whole file. Written as unnamed
// files linked under their name when complete (a crash leaves nothing behind), mapped read-only
// and checked before use, one connection at a time per version and kind, and removed when
// another version of the model is written or beyond pgrec.shared_cache_limit.
#pragma once

#include "postgres_headers.h"

extern "C"
{
#include "utils/uuid.h"
}

// What names a model version's files.
struct ModelFileKey
{
	uint32 name_hash; // of the model's name: its versions' files share a prefix
	int64 model_id;
	pg_uuid_t version_uuid;
	pg_uuid_t edit_token;
};

// The start of every file's header: what it is and which version of which model it caches.
struct CacheFileIdentity
{
	char magic[8];
	uint32 format, sections;
	uint64 file_bytes, checksum; // of the whole file, this field taken as 0
	Oid database;
	int32 dim;
	uint32 name_hash, unused;
	int64 model_id;
	pg_uuid_t version_uuid, edit_token;
};

// What the files of a kind share: the name's extension, the header's magic, format (bumped with
// any change of the layout or of what a section holds), size and number of sections, and the
// lock's tag.
struct CacheFileKind
{
	const char *extension; // ".model"
	char magic[8];
	uint32 format;
	size_t header_bytes;
	int sections;
	uint16 lock_field;
};

// Sets the identity of key's file of this kind of file_bytes (the checksum is set when written).
void set_identity(const CacheFileKind *kind, const ModelFileKey *key, int dim, size_t file_bytes,
                  CacheFileIdentity *id);

// True when a mapped file of size bytes has the identity of key's file of this kind, dim.
bool has_identity(const CacheFileKind *kind, const ModelFileKey *key, int dim, size_t size,
                  const CacheFileIdentity *id);

// One section's bytes in a file being written.
struct FilePart
{
	const void *data;
	size_t bytes;
};

// Lays out the kind's sections after the header: their offsets and sizes, and the file's size.
size_t lay_out_sections(const CacheFileKind *kind, const FilePart *parts, uint64 *offset,
                        uint64 *bytes);

// True when offset and bytes are that layout exactly, ending at size.
bool sections_laid_out(const CacheFileKind *kind, const uint64 *offset, const uint64 *bytes,
                       size_t size);

// Writes key's file of this kind: header (its identity's checksum set here) then the parts at
// their offsets (a part with NULL data stays zeros). A failure is logged, never raised. Then
// removes the files of the model's older versions and the least recently used files beyond
// pgrec.shared_cache_limit.
void write_cache_file(const CacheFileKind *kind, const ModelFileKey *key, CacheFileIdentity *header,
                      const uint64 *offset, const FilePart *parts);

// Maps key's file of this kind read-only (NULL when there is none), with its size.
char *map_cache_file(const CacheFileKind *kind, const ModelFileKey *key, size_t *size);

// The checksum that a mapped file must carry in its header; false if it could not be computed.
bool cache_file_checksum(const CacheFileKind *kind, const char *base, size_t size, uint64 *out);

// Unmaps a mapped file (base NULL: one already kept); with problem set, logs it and removes
// the file.
void reject_cache_file(const CacheFileKind *kind, const ModelFileKey *key, char *base,
                       size_t size, const char *problem);

// Keeps a checked mapping until context is reset or deleted, and marks the file recently used.
// The callback is allocated in context before the mapping exists (release_callback()), so that
// no allocation failure can leak it.
MemoryContextCallback *release_callback(MemoryContext context);
void keep_mapping(const CacheFileKind *kind, const ModelFileKey *key, MemoryContext context,
                  MemoryContextCallback *callback, char *base, size_t size);

// Waits (interruptibly) until no other connection of the server writes key's file of this kind,
// then holds it until unlock_cache_file() or the end of the transaction.
void lock_cache_file(const CacheFileKind *kind, const ModelFileKey *key);
void unlock_cache_file(const CacheFileKind *kind, const ModelFileKey *key);
