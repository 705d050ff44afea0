import { Link } from '../routing/link.js';
import { Empty } from './common/states.js';

export function NotFoundPage() {
  return (
    <main id="main" class="page">
      <Empty title="There is no such page in the inbox.">
        <Link href="/" class="button">
          Go to the conversations
        </Link>
      </Empty>
    </main>
  );
}
