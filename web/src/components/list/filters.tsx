import type { ConversationStatus } from '@parley/client';
import { useApi } from '../../api/context.js';
import {
  activeFilters,
  DATE_FILTERS,
  type DateFilter,
  type ListView,
  PAGE_SIZES,
  type SortBy,
  type SortDir,
} from '../../routing/list-view.js';
import { ChannelPicker } from './channel-picker.js';
import { PhoneSearch } from './phone-search.js';
import { UuidFilter } from './uuid-filter.js';

interface Props {
  view: ListView;
  onChange: (changes: Partial<ListView>, replace?: boolean) => void;
  onClear: () => void;
}

const SORTS: Array<{ value: `${SortBy}:${SortDir}`; label: string }> = [
  { value: 'created_at:desc', label: 'Newest first' },
  { value: 'created_at:asc', label: 'Oldest first' },
  { value: 'updated_at:desc', label: 'Recently updated' },
  { value: 'updated_at:asc', label: 'Least recently updated' },
];

const DATE_LABELS: Record<DateFilter, string> = {
  created_from: 'Created from',
  created_to: 'Created until',
  updated_since: 'Updated since',
};

/**
 * Every filter of the list API, plus sorting and page size. The usual ones are always in view; the
 * uuid and date filters fold away, and open by themselves when one of them is in use.
 */
export function Filters({ view, onChange, onClear }: Props) {
  const api = useApi();
  const folded = [view.agent_uuid, view.campaign_uuid, view.contact_uuid, view.task_uuid, ...DATE_FILTERS.map((name) => view[name])];
  const foldedInUse = folded.filter(Boolean).length;

  return (
    <form role="search" aria-label="Filter conversations" class="filters" onSubmit={(event) => event.preventDefault()}>
      <div class="filters-row">
        <PhoneSearch value={view.phone} onCommit={(phone) => onChange({ phone }, true)} />
        <div class="field">
          <label for="filter-status">Status</label>
          <select
            id="filter-status"
            value={view.status}
            onChange={(event) => onChange({ status: event.currentTarget.value as ConversationStatus | '' })}
          >
            <option value="">Any</option>
            <option value="Active">Active</option>
            <option value="Closed">Closed</option>
          </select>
        </div>
        <div class="field">
          <label for="filter-sort">Sort</label>
          <select
            id="filter-sort"
            value={`${view.sortBy}:${view.sortDir}`}
            onChange={(event) => {
              const [sortBy, sortDir] = event.currentTarget.value.split(':') as [SortBy, SortDir];
              onChange({ sortBy, sortDir });
            }}
          >
            {SORTS.map((sort) => (
              <option key={sort.value} value={sort.value}>
                {sort.label}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="filter-per-page">Per page</label>
          <select
            id="filter-per-page"
            value={String(view.perPage)}
            onChange={(event) => onChange({ perPage: Number(event.currentTarget.value) })}
          >
            {PAGE_SIZES.map((size) => (
              <option key={size} value={String(size)}>
                {size}
              </option>
            ))}
          </select>
        </div>
      </div>
      <ChannelPicker value={view.channels} onChange={(channels) => onChange({ channels })} />
      <details class="more-filters" open={foldedInUse > 0 || undefined}>
        <summary>More filters{foldedInUse > 0 ? ` (${foldedInUse} in use)` : ''}</summary>
        <div class="filters-grid">
          <UuidFilter
            id="filter-agent"
            label="Agent"
            value={view.agent_uuid}
            suggestions={api.seen.agent_uuid}
            onCommit={(agent_uuid) => onChange({ agent_uuid })}
          />
          <UuidFilter
            id="filter-campaign"
            label="Campaign"
            value={view.campaign_uuid}
            suggestions={api.seen.campaign_uuid}
            onCommit={(campaign_uuid) => onChange({ campaign_uuid })}
          />
          <UuidFilter
            id="filter-contact"
            label="Contact"
            value={view.contact_uuid}
            onCommit={(contact_uuid) => onChange({ contact_uuid })}
          />
          <UuidFilter id="filter-task" label="Task" value={view.task_uuid} onCommit={(task_uuid) => onChange({ task_uuid })} />
          {DATE_FILTERS.map((name) => (
            <div class="field" key={name}>
              <label for={`filter-${name}`}>
                {DATE_LABELS[name]} <span class="muted">(UTC)</span>
              </label>
              <input
                id={`filter-${name}`}
                type="date"
                value={view[name]}
                onChange={(event) => onChange({ [name]: event.currentTarget.value })}
              />
            </div>
          ))}
        </div>
      </details>
      {activeFilters(view) > 0 && (
        <button type="button" class="button button-quiet clear-filters" onClick={onClear}>
          Clear all filters
        </button>
      )}
    </form>
  );
}
