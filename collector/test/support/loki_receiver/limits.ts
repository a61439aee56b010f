/**
 * The subset of Loki's `limits_config` the push path enforces, with Loki 3.x
 * defaults (pkg/validation/limits.go): what a stock Loki rejects, the receiver
 * rejects.
 */
export interface LokiLimits {
  /** `max_line_size`: 256KB; 0 = no limit. Bytes of the UTF-8 line. */
  maxLineSize: number;
  /** `max_line_size_truncate`: cut long lines instead of rejecting them. */
  maxLineSizeTruncate: boolean;
  /** `max_label_names_per_series`: 15 (a `service_name` label does not count). */
  maxLabelNamesPerSeries: number;
  /** `max_label_name_length`: 1024. */
  maxLabelNameLength: number;
  /** `max_label_value_length`: 2048. */
  maxLabelValueLength: number;
  /** `reject_old_samples`: true, with `reject_old_samples_max_age` 1w. */
  rejectOldSamples: boolean;
  rejectOldSamplesMaxAgeMs: number;
  /** `creation_grace_period`: 10m; entries further in the future are rejected. */
  creationGracePeriodMs: number;
  /** `allow_structured_metadata`: true in Loki 3. */
  allowStructuredMetadata: boolean;
  /** `max_structured_metadata_size`: 64KB. */
  maxStructuredMetadataSize: number;
  /** `max_structured_metadata_entries_count`: 128. */
  maxStructuredMetadataEntriesCount: number;
}

export const LOKI_DEFAULT_LIMITS: Readonly<LokiLimits> = {
  maxLineSize: 256 * 1024,
  maxLineSizeTruncate: false,
  maxLabelNamesPerSeries: 15,
  maxLabelNameLength: 1024,
  maxLabelValueLength: 2048,
  rejectOldSamples: true,
  rejectOldSamplesMaxAgeMs: 7 * 24 * 3600 * 1000,
  creationGracePeriodMs: 10 * 60 * 1000,
  allowStructuredMetadata: true,
  maxStructuredMetadataSize: 64 * 1024,
  maxStructuredMetadataEntriesCount: 128,
};

/** Loki 3's default `discover_service_name` list (pkg/validation/limits.go). */
export const LOKI_DISCOVER_SERVICE_NAME: readonly string[] = [
  'service',
  'app',
  'application',
  'app_name',
  'name',
  'app_kubernetes_io_name',
  'container',
  'container_name',
  'k8s_container_name',
  'component',
  'workload',
  'job',
  'k8s_job_name',
];
