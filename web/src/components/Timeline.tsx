import { formatDuration } from '../lib/format';
import type { Timeline as TimelineData } from '../lib/timeline';

const STATE_WORDS = { done: 'done', current: 'now', waiting: 'to come', blocked: 'held up' } as const;

/** A transfer's stages as an ordered list; the current stage is marked for assistive technology. */
export function Timeline({ timeline, now, label }: { timeline: TimelineData; now: number; label: string }) {
  return (
    <ol className="timeline" aria-label={label}>
      {timeline.stages.map((s) => (
        <li key={s.key} className={`stage stage-${s.state}`} aria-current={s.state === 'current' ? 'step' : undefined} data-stage={s.key} data-state={s.state}>
          <span className="stage-dot" aria-hidden="true" />
          <span className="stage-label">
            {s.label} <span className="visually-hidden">({STATE_WORDS[s.state]})</span>
          </span>
          <span className="stage-detail">
            {s.detail}
            {s.endsAt !== undefined && s.endsAt > now ? (
              <strong className="countdown" data-testid="countdown">
                {' '}
                · {formatDuration(s.endsAt - now)} left
              </strong>
            ) : null}
          </span>
        </li>
      ))}
    </ol>
  );
}
