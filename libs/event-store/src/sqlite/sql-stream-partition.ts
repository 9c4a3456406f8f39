/** streamPartition (../read-partition) in SQLite's SQL (`?` = count): the adapter filters partitions before parsing rows. */
export const SQL_STREAM_PARTITION =
  "(CASE WHEN substr(stream, 1, 8) = 'metrics-' OR substr(stream, 1, 10) = 'retention-' THEN 0 ELSE ((coalesce(unicode(substr(stream, -1)), 0) + 7 * coalesce(unicode(substr(stream, -2, 1)), 0)) % ?) END)";
