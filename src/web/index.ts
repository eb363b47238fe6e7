// The Trust Center's entry point: the page's one script (no inline script, per its CSP).
import './style.css';
import { start } from './app.tsx';

const root = document.getElementById('app');
if (root !== null) start(root);
