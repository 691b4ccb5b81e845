// The dashboard's entry: styles, then the application into <body>.
import 'uplot/dist/uPlot.min.css'
import './styles.css'
import { render } from 'preact'
import { App } from './ui/app.jsx'

render(<App />, document.getElementById('app'))
