/** streamPartition (../read-partition) in SQLite's SQL (`?` = count): the adapter filters partitions before parsing rows. */
export const SQL_STREAM_PARTITION = '((coalesce(unicode(substr(stream, -1)), 0) + 7 * coalesce(unicode(substr(stream, -2, 1)), 0)) % ?)';
