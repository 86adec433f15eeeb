import { href } from '../router/routes';
import { usePageTitle } from './page-title';

export function NotFound() {
  usePageTitle('Not found');
  return (
    <div className="page">
      <h1>Nothing here</h1>
      <p>
        This address names no screen. <a href={href({ name: 'home' })}>Go to your webhooks</a>.
      </p>
    </div>
  );
}
