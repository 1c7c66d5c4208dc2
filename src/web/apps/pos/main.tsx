import { render } from 'preact';

render(<p>pos</p>, document.getElementById('app')!);
