import type { ComponentChildren, JSX } from 'preact';
import { followLink } from './router.js';

type Props = Omit<JSX.HTMLAttributes<HTMLAnchorElement>, 'href' | 'onClick'> & { href: string; children: ComponentChildren };

/** A real link (it opens in a new tab, and shows its address) that moves within the inbox without reloading. */
export function Link({ href, children, ...rest }: Props) {
  return (
    <a href={href} onClick={followLink} {...rest}>
      {children}
    </a>
  );
}
